// The test command's guard: a tiny process that kills the command's whole process group when the recorder goes away,
// even by SIGKILL (its stdin, a pipe from the recorder, then ends; a SIGTERM does the same). A parent-death signal on the command alone would spare the command's own children (a script's curl).
// Run as `node command-guard.js <pgid>`; the recorder closes its stdin to stop it once the command is done.
const pgid = Number(process.argv[2]);

function killGroup(): never {
  if (Number.isInteger(pgid) && pgid > 1) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* the group is gone already */
    }
  }
  process.exit(0);
}

process.on('SIGTERM', killGroup);
process.stdin.on('end', killGroup);
process.stdin.on('close', killGroup);
process.stdin.on('error', killGroup);
process.stdin.resume();
