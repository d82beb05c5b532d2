/**
 * A core failure as the app API answers it: the error's code, message and details, with the HTTP status the
 * port's table gives it (core errors carry no status of their own).
 */
import { AppError } from '../../server/src/core/errors';
import { statusOf } from '../../server/src/port/http/error-status';

export interface Answer {
  code: string;
  message: string;
  details: unknown;
  status: number;
}

export function answerOf(e: unknown): Answer {
  if (!(e instanceof AppError)) throw e;
  return { code: e.code, message: e.message, details: e.details, status: statusOf(e) };
}

/** The answer to a call that must fail with an AppError. */
export async function answerTo(p: Promise<unknown>): Promise<Answer> {
  return p.then(
    () => {
      throw new Error('expected a failure, got an answer');
    },
    answerOf,
  );
}
