package io.flashtensors.store.hub;

import io.flashtensors.store.StoreException;

/** A Hugging Face Hub request failed; the message says why and what to do, in one line. */
public final class HubException extends StoreException {

  private static final long serialVersionUID = 1L;

  /** What kind of failure, for callers that react to it (retry, tell about HF_TOKEN). */
  public enum Kind {
    /** 401: private, gated or missing repository, or a refused token. */
    UNAUTHORIZED,
    /** 403 with GatedRepo: the terms of the repository have not been accepted. */
    GATED,
    /** 403 otherwise. */
    FORBIDDEN,
    /** 404: no such repository, revision or file. */
    NOT_FOUND,
    /** The Hub could not be reached (no network, DNS, refused connection, timeouts). */
    NETWORK,
    /** 5xx or 429 after every retry, or an answer that is not what the API promises. */
    SERVER,
    /** A downloaded file's checksum or size does not match the Hub's metadata. */
    INTEGRITY
  }

  private final Kind kind;

  public HubException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public HubException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  /** Whether trying again later may succeed. */
  public boolean transientFailure() {
    return kind == Kind.NETWORK || kind == Kind.SERVER;
  }
}
