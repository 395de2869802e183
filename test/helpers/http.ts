/** A tiny JSON client over fetch for the gateway under test; records every status seen. */
export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export class Api {
  readonly statuses: number[] = [];

  constructor(readonly baseUrl: string) {}

  async request<T = any>(
    method: string,
    path: string,
    options: { body?: unknown; raw?: string | Uint8Array; token?: string; headers?: Record<string, string> } = {},
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | Uint8Array | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined && !headers["content-type"]) headers["content-type"] = "application/json";
    const res = await fetch(this.baseUrl + path, { method, headers, body });
    const text = await res.text();
    this.statuses.push(res.status);
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  }

  post<T = any>(path: string, body?: unknown, token?: string) {
    return this.request<T>("POST", path, { body, token });
  }

  get<T = any>(path: string, token?: string) {
    return this.request<T>("GET", path, { token });
  }

  patch<T = any>(path: string, body: unknown, token?: string) {
    return this.request<T>("PATCH", path, { body, token });
  }
}
