import { describe, expect, it } from 'vitest';
import { isQuotaError, isVagueFailure } from './store';

/** The shapes a quota failure takes: Chromium's QuotaExceededError, or one wrapped by an abort. */
describe('isQuotaError', () => {
  it('recognises QuotaExceededError directly and by its legacy code', () => {
    expect(isQuotaError(new DOMException('full', 'QuotaExceededError'))).toBe(true);
    expect(isQuotaError({ name: 'Error', code: 22 })).toBe(true);
  });

  it('finds it inside a wrapping AbortError or Error cause', () => {
    const abort = Object.assign(new DOMException('aborted', 'AbortError'), { error: new DOMException('', 'QuotaExceededError') });
    expect(isQuotaError(abort)).toBe(true);
    expect(isQuotaError(new Error('save failed', { cause: new DOMException('', 'QuotaExceededError') }))).toBe(true);
  });

  it('recognises a full disk, which Chromium reports as an UnknownError naming LevelDB\'s FILE_ERROR_NO_SPACE', () => {
    // Seen verbatim on a full tmpfs (test/e2e/full-disk.e2e.ts).
    const message =
      'Connection is closing because of: IO error: .../http_127.0.0.1_4213.indexeddb.leveldb/000003.log: FILE_ERROR_NO_SPACE (ChromeMethodBFE: 3::WritableFileAppend::8)';
    expect(isQuotaError(new DOMException(message, 'UnknownError'))).toBe(true);
    expect(isQuotaError(new DOMException('Internal error committing transaction.', 'UnknownError'))).toBe(false);
  });

  it('recognises a full disk under a large checkpoint, which Chromium\'s blob writer reports as a DataError', () => {
    // Seen verbatim with 3.2 MB checkpoints on a full tmpfs profile: values over 64 KB go to blob files.
    expect(isQuotaError(new DOMException('Failed to write blobs (IOError)', 'DataError'))).toBe(true);
    const abort = Object.assign(new DOMException('aborted', 'AbortError'), { error: new DOMException('Failed to write blobs (IOError)', 'DataError') });
    expect(isQuotaError(abort)).toBe(true);
    expect(isQuotaError(new DOMException('Data provided to an operation does not meet requirements.', 'DataError'))).toBe(false);
  });

  it('does not mistake other errors for it', () => {
    expect(isQuotaError(new DOMException('aborted', 'AbortError'))).toBe(false);
    expect(isQuotaError(new DOMException('clone', 'DataCloneError'))).toBe(false);
    expect(isQuotaError(null)).toBe(false);
    expect(isQuotaError('QuotaExceededError')).toBe(false);
  });
});

/** Failures that do not say why: a full disk beside the offline cache (test/e2e/full-disk.e2e.ts). */
describe('isVagueFailure', () => {
  it('recognises the two messages Chromium gave on a full disk with the offline cache installed', () => {
    // Seen verbatim, in this order, on a full tmpfs profile with the service worker's precache.
    expect(isVagueFailure(new DOMException('The connection was closed.', 'AbortError'))).toBe(true);
    expect(isVagueFailure(new DOMException('Internal error.', 'UnknownError'))).toBe(true);
  });

  it('leaves errors that say what happened, and other aborts, alone', () => {
    expect(isVagueFailure(new DOMException('Internal error committing transaction.', 'UnknownError'))).toBe(false);
    expect(isVagueFailure(new DOMException('The transaction was aborted, so the request cannot be fulfilled.', 'AbortError'))).toBe(false);
    expect(isVagueFailure(new DOMException('full', 'QuotaExceededError'))).toBe(false);
    expect(isVagueFailure(null)).toBe(false);
  });
});
