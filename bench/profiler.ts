/**
 * CPU profiles of a node for one scenario at a time (`npm run bench -- --profile`): the node runs
 * with the inspector on a loopback port, and the benchmark starts V8's sampling profiler through
 * it just before a run and stops it just after, so each profile holds that scenario's work only.
 * The .cpuprofile files open in Chrome DevTools (Performance) or speedscope as flame graphs.
 */
export class InspectorProfiler {
  private constructor(
    private readonly socket: WebSocket,
    private nextId = 1,
    private readonly waiting = new Map<number, (result: unknown) => void>(),
  ) {
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
      if (message.id !== undefined) this.waiting.get(message.id)?.(message.result);
    });
  }

  static async connect(inspectorPort: number): Promise<InspectorProfiler> {
    const [target] = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
    const socket = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      socket.addEventListener("open", resolve, { once: true });
      socket.addEventListener("error", reject, { once: true });
    });
    const profiler = new InspectorProfiler(socket);
    await profiler.send("Profiler.enable");
    await profiler.send("Profiler.setSamplingInterval", { interval: 200 });
    return profiler;
  }

  private send(method: string, params: object = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  start(): Promise<unknown> {
    return this.send("Profiler.start");
  }

  /** The profile since `start()`, as a .cpuprofile document. */
  async stop(): Promise<object> {
    return ((await this.send("Profiler.stop")) as { profile: object }).profile;
  }

  close(): void {
    this.socket.close();
  }
}
