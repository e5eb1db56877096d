import { err, ok, type Result } from './result';

/** Why a decoder refused its input. `offset` points into the input where that is meaningful. */
export type DecodeErrorCode = 'truncated' | 'invalid' | 'unsupported' | 'too-large' | 'internal';

export interface DecodeError {
  readonly code: DecodeErrorCode;
  readonly message: string;
  readonly offset?: number;
}

/** Thrown only inside a decoder; `decoder()` converts it to a Result at the boundary. */
export class DecodeFailure extends Error {
  constructor(
    readonly code: DecodeErrorCode,
    message: string,
    readonly offset?: number,
  ) {
    super(message);
    this.name = 'DecodeFailure';
  }
}

export function fail(code: DecodeErrorCode, message: string, offset?: number): never {
  throw new DecodeFailure(code, message, offset);
}

/**
 * Wraps a throwing parse function into a total one: never throws, returns a typed DecodeError instead.
 * Unexpected exceptions (bugs) become code 'internal' so that a hostile packet can never crash the process.
 */
export function decoder<A extends unknown[], T>(
  parse: (...args: A) => T,
): (...args: A) => Result<T, DecodeError> {
  return (...args: A) => {
    try {
      return ok(parse(...args));
    } catch (e) {
      if (e instanceof DecodeFailure) {
        return err(
          e.offset === undefined
            ? { code: e.code, message: e.message }
            : { code: e.code, message: e.message, offset: e.offset },
        );
      }
      return err({ code: 'internal', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    }
  };
}
