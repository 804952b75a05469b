// Everything in a capture directory that two ways of writing the same input must agree on, byte for byte (batch
// files, logs, rejects, manifest), with the wall-clock stamps and the capture id (start time + directory) taken out.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

export function captureBytes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(join(dir, 'events')).sort()) out[`events/${f}`] = readFileSync(join(dir, 'events', f)).toString('base64');
  for (const f of ['logs.ndjson', 'rejects.ndjson']) out[f] = readFileSync(join(dir, f), 'utf8');
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  for (const k of ['createdAt', 'startedAt', 'finishedAt']) delete m[k];
  // The capture id is made of the start time and the directory name: two imports' differ by construction.
  expect(m.capture.id).toMatch(/^[^.]+\.\d{8}T\d{6}\.\d{3}Z\./);
  delete m.capture.id;
  out['manifest.json'] = JSON.stringify(m);
  return out;
}
