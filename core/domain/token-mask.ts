/**
 * How a registration token is shown anywhere but the one answer to `token create`: the first
 * and last four characters of the token as decoded. CSSM hands tokens out URL-encoded, lines
 * of base64 joined by `%0A` and ending in one, so the raw string of every token ends alike
 * ("…%0A") and the masks of two tokens would be the same.
 */
export function maskToken(value: string): string {
  let v = value.trim();
  try {
    v = decodeURIComponent(v);
  } catch {
    // Not URL-encoded after all: mask it as it is.
  }
  v = v.replace(/\s+/g, '');
  if (v.length < 16) return '****';
  return `${v.slice(0, 4)}…${v.slice(-4)}`;
}
