import { ApiError } from "../common/errors.ts";

/**
 * Token buckets keyed by client address or identity: `perMinute` requests a minute with bursts
 * up to the same number. Idle buckets are dropped so memory stays bounded by active clients.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; updated: number }>();
  private readonly perMinute: number;
  private readonly what: string;
  private readonly now: () => number;

  constructor(perMinute: number, what: string, now: () => number = Date.now) {
    this.perMinute = perMinute;
    this.what = what;
    this.now = now;
  }

  /** Takes one token for `key`, or refuses with 429 and how long to wait. */
  take(key: string): void {
    if (this.perMinute === 0) return;
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, updated: now };
    bucket.tokens = Math.min(
      this.perMinute,
      bucket.tokens + ((now - bucket.updated) / 60_000) * this.perMinute,
    );
    bucket.updated = now;
    if (bucket.tokens < 1) {
      const retryAfter = Math.ceil(((1 - bucket.tokens) / this.perMinute) * 60);
      throw new RateLimitedError(
        `too many requests for this ${this.what}; retry in ${retryAfter} s`,
        retryAfter,
      );
    }
    bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 10_000) this.evictFull(now);
  }

  private evictFull(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.updated) / 60_000) * this.perMinute >= this.perMinute)
        this.buckets.delete(key);
    }
  }
}

export class RateLimitedError extends ApiError {
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number) {
    super(429, "RATE_LIMITED", message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
