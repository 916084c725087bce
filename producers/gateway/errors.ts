/** An error a client can act on: a stable code, an HTTP status and a sentence. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly retryAfterS?: number) {
    super(message);
    this.name = 'ApiError';
  }
  toJSON() {
    return { error: { code: this.code, message: this.message } };
  }
}

export const badRequest = (code: string, message: string) => new ApiError(400, code, message);
