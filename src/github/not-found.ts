/**
 * A 404 read as "not there" rather than as a failure. Its own module because
 * readers (the webhook handlers, config loading, progress) use it as much as
 * publishing does, and a reader should not import the publisher to get it.
 */

/** For `.catch`: a 404 becomes `value`, anything else is thrown on. */
export function notFoundAs<T>(value: T): (error: unknown) => T {
  return (error: unknown) => {
    if (typeof error === 'object' && error !== null && 'status' in error && error.status === 404) return value;
    throw error;
  };
}
