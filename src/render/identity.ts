// How a security identity prints everywhere (paths, tracks, diff, reports): its name from the identity snapshots
// with the number kept beside it, `k8s:app=client (26328)`, or `id 26328` when no snapshot names it.

export function identityText(identity: number, name: string | null | undefined): string {
  return name ? `${name} (${identity})` : `id ${identity}`;
}
