/**
 * The gateway's HTTP helpers: mapping any error to a client error, the client address for
 * rate limits, and the JSON-only body rule. Requests and responses are hand-built.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Errors } from "moleculer";
import { clientAddress, encodingProblem, rateLimitBucket, requireJsonBody, toClientError } from "../../src/http";
import {
  ERR_INTERNAL,
  ERR_INVALID_JSON,
  ERR_PAYLOAD_TOO_LARGE,
  ERR_SERVICE_UNAVAILABLE,
  ERR_UNSUPPORTED_MEDIA_TYPE,
  ERR_VALIDATION,
  NotFoundError,
  validationError,
} from "../../src/errors";

function request(headers: Record<string, string> = {}, socket: { remoteAddress?: string } = { remoteAddress: "10.0.0.7" }) {
  return { headers, socket } as unknown as IncomingMessage;
}

const response = {} as ServerResponse;

/** Like body-parser's errors: an Error carrying `type` and `status`. */
function parserError(type: string, status: number): Error {
  return Object.assign(new Error(`body-parser: ${type}`), { type, status, expose: true });
}

describe("toClientError", () => {
  describe("body-parser errors", () => {
    it("should map entity.too.large to 413 PAYLOAD_TOO_LARGE", () => {
      const err = toClientError(parserError("entity.too.large", 413));
      expect(err.code).toBe(413);
      expect(err.type).toBe(ERR_PAYLOAD_TOO_LARGE);
    });

    it("should map entity.parse.failed to 400 INVALID_JSON", () => {
      const err = toClientError(parserError("entity.parse.failed", 400));
      expect(err.code).toBe(400);
      expect(err.type).toBe(ERR_INVALID_JSON);
    });

    it("should map a MoleculerError wrapping entity.too.large to 413 PAYLOAD_TOO_LARGE", () => {
      const err = toClientError(new Errors.MoleculerError("request entity too large", 413, "entity.too.large"));
      expect(err.code).toBe(413);
      expect(err.type).toBe(ERR_PAYLOAD_TOO_LARGE);
    });

    it("should map a MoleculerError wrapping entity.parse.failed to 400 INVALID_JSON", () => {
      const err = toClientError(new Errors.MoleculerError("Unexpected token } in JSON", 400, "entity.parse.failed"));
      expect(err.code).toBe(400);
      expect(err.type).toBe(ERR_INVALID_JSON);
      expect(err.message).not.toContain("Unexpected token");
    });

    it("should map an unsupported charset to 415", () => {
      const err = toClientError(parserError("charset.unsupported", 415));
      expect(err.code).toBe(415);
      expect(err.type).toBe(ERR_UNSUPPORTED_MEDIA_TYPE);
    });
  });

  describe("infrastructure errors", () => {
    it.each([
      ["ServiceNotFoundError", () => new Errors.ServiceNotFoundError({ action: "auth.login" })],
      ["RequestTimeoutError", () => new Errors.RequestTimeoutError({ action: "auth.login", nodeID: "node-1" })],
      ["ServiceNotAvailableError", () => new Errors.ServiceNotAvailableError({ action: "auth.login" })],
    ])("should map %s to 503 SERVICE_UNAVAILABLE", (_name, make) => {
      const err = toClientError(make());
      expect(err.code).toBe(503);
      expect(err.type).toBe(ERR_SERVICE_UNAVAILABLE);
    });
  });

  describe("client errors", () => {
    it("should pass a ValidationError through as 422", () => {
      const original = validationError([{ field: "email", type: "email", message: "bad email" }]);
      const err = toClientError(original);
      expect(err).toBe(original);
      expect(err.code).toBe(422);
      expect(err.type).toBe(ERR_VALIDATION);
    });

    it("should pass our own client errors through unchanged", () => {
      const original = new NotFoundError("Habit");
      expect(toClientError(original)).toBe(original);
    });
  });

  describe("unexpected errors", () => {
    it("should turn a plain Error into a generic 500 INTERNAL_ERROR without leaking its message", () => {
      const err = toClientError(new Error("connect ECONNREFUSED db-primary:5432 password=hunter2"));
      expect(err.code).toBe(500);
      expect(err.type).toBe(ERR_INTERNAL);
      expect(err.message).toBe("Internal server error");
      expect(JSON.stringify({ message: err.message, data: err.data })).not.toMatch(/hunter2|ECONNREFUSED|db-primary/);
    });

    it("should turn a MoleculerError with code 500 into the generic 500", () => {
      const err = toClientError(new Errors.MoleculerError("secret internals", 500, "SOMETHING"));
      expect(err.code).toBe(500);
      expect(err.type).toBe(ERR_INTERNAL);
      expect(err.message).not.toContain("secret internals");
    });

    it.each([
      ["a string", "boom"],
      ["null", null],
      ["undefined", undefined],
    ])("should turn a thrown %s into the generic 500", (_label, thrown) => {
      const err = toClientError(thrown);
      expect(err.code).toBe(500);
      expect(err.type).toBe(ERR_INTERNAL);
    });
  });
});

describe("clientAddress", () => {
  it("should use the socket address when no proxy is trusted, ignoring X-Forwarded-For", () => {
    expect(clientAddress(request({ "x-forwarded-for": "1.1.1.1" }), false)).toBe("10.0.0.7");
  });

  it("should use the right-most X-Forwarded-For entry behind a trusted proxy", () => {
    const req = request({ "x-forwarded-for": "6.6.6.6, 1.1.1.1,  203.0.113.9 " });
    expect(clientAddress(req, true)).toBe("203.0.113.9");
  });

  it("should fall back to the socket address behind a trusted proxy when the header is missing", () => {
    expect(clientAddress(request(), true)).toBe("10.0.0.7");
  });

  it("should fall back to the socket address when the header holds only separators", () => {
    expect(clientAddress(request({ "x-forwarded-for": " , " }), true)).toBe("10.0.0.7");
  });

  it("should answer 'unknown' when the socket has no address", () => {
    expect(clientAddress(request({}, {}), false)).toBe("unknown");
  });
});

describe("requireJsonBody", () => {
  function run(headers: Record<string, string>) {
    const next = jest.fn();
    requireJsonBody(request(headers), response, next);
    return next;
  }

  it("should call next with a 415 error for a text/plain body", () => {
    const next = run({ "content-type": "text/plain", "content-length": "5" });
    expect(next).toHaveBeenCalledTimes(1);
    const err = next.mock.calls[0][0] as Errors.MoleculerError;
    expect(err).toBeInstanceOf(Errors.MoleculerError);
    expect(err.code).toBe(415);
    expect(err.type).toBe(ERR_UNSUPPORTED_MEDIA_TYPE);
  });

  it("should call next with a 415 error for a body with no content type", () => {
    const next = run({ "content-length": "5" });
    expect((next.mock.calls[0][0] as Errors.MoleculerError).code).toBe(415);
  });

  it("should call next with a 415 error for a chunked body that is not JSON", () => {
    const next = run({ "transfer-encoding": "chunked", "content-type": "application/x-www-form-urlencoded" });
    expect((next.mock.calls[0][0] as Errors.MoleculerError).code).toBe(415);
  });

  it.each(["application/json", "application/json; charset=utf-8", "Application/JSON", "application/merge-patch+json"])(
    "should call next() without an error for %s",
    (contentType) => {
      const next = run({ "content-type": contentType, "content-length": "2" });
      expect(next).toHaveBeenCalledTimes(1);
      expect(next.mock.calls[0]).toEqual([]);
    },
  );

  it("should reject a type that only starts like JSON", () => {
    const next = run({ "content-type": "application/jsonp", "content-length": "2" });
    expect((next.mock.calls[0][0] as Errors.MoleculerError).code).toBe(415);
  });

  it.each([
    ["no headers at all", {}],
    ["content-length 0", { "content-length": "0" }],
    ["content-length 0 with text/plain", { "content-length": "0", "content-type": "text/plain" }],
  ])("should call next() without an error for an empty body (%s)", (_label, headers) => {
    const next = run(headers);
    expect(next).toHaveBeenCalledTimes(1);
    expect(next.mock.calls[0]).toEqual([]);
  });
});

describe("encodingProblem", () => {
  it.each([["gzip"], ["deflate"], ["br"], ["gzip, identity"], ["x-unknown"]])("should refuse Content-Encoding %s with 415", (encoding) => {
    const problem = encodingProblem(request({ "content-encoding": encoding }));
    expect(problem?.code).toBe(415);
    expect(problem?.type).toBe(ERR_UNSUPPORTED_MEDIA_TYPE);
  });

  it("should accept no encoding and identity", () => {
    expect(encodingProblem(request())).toBeNull();
    expect(encodingProblem(request({ "content-encoding": "Identity" }))).toBeNull();
  });
});

describe("rateLimitBucket", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    ["::ffff:203.0.113.7", "203.0.113.7"],
    ["2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2:0:0:0:0/64"],
    ["2001:db8:1:2::1", "2001:db8:1:2:0:0:0:0/64"],
    ["unknown", "unknown"],
  ])("should put %s in bucket %s", (address, bucket) => {
    expect(rateLimitBucket(address)).toBe(bucket);
  });
});
