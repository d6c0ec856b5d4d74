/**
 * The parse jobs a parse thread runs (core/parse/parse-worker.ts): each is the same pure
 * function the client runs inline, so an answer parsed on either thread is the same value or
 * the same error.
 */
import { READ_SCHEMAS, readCssmAnswer, type CssmReadContext } from '../cssm/cssm.client.ts';
import { axlStatusAnswer } from '../uc/axl.client.ts';
import { cupiStatusAnswer } from '../uc/vmrest.client.ts';
import type { UcErrorContext } from '../uc/uc-errors.ts';
import type { ReadJob } from './read-parser.ts';

export function runReadJob(job: ReadJob, text: string): unknown {
  switch (job.kind) {
    case 'axl-status':
      return axlStatusAnswer(job.status, text, job.ctx as UcErrorContext);
    case 'cupi-status':
      return cupiStatusAnswer(text, job.ctx as UcErrorContext);
    case 'cssm': {
      const schema = READ_SCHEMAS[job.schema];
      if (!schema) throw new Error(`no CSSM schema named ${job.schema}`);
      return readCssmAnswer(schema, job.status, text, job.ctx as CssmReadContext);
    }
  }
}
