import type { Readable, Writable } from 'node:stream';

/** What a CLI command may touch: its streams and the environment (tests pass their own). */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  /** True when stdout is a terminal (progress bars, table width). */
  isTty: boolean;
  /** Terminal width when stdout is a terminal. */
  columns?: number | undefined;
}

export interface CliContext {
  io: CliIo;
  /** `--debug` was given: print stacks on failure. */
  debug: boolean;
  /** `--log-format json`: log lines as JSON on stderr; otherwise warnings as text. */
  logFormat?: 'text' | 'json';
}

/**
 * One top-level CLI verb (`smartlic <name> …`). `run` returns the process exit code:
 * 0 ok, 1 operation failed, 2 bad usage or bad input.
 */
export interface CliCommand {
  name: string;
  summary: string;
  /** Multi-line usage text printed by `smartlic <name> --help`. */
  usage: string;
  /** The verb answers `--help` on its subcommands itself (commands built with defineCommand). */
  handlesHelp?: boolean;
  run(args: string[], ctx: CliContext): Promise<number>;
}
