/** An answer the emulated Cisco world refuses with: the HTTP status, Cisco's text, its code. */
export class WorldError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}
