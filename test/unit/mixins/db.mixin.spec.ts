/**
 * DbMixin: moleculer-db's generic CRUD actions are switched off, and the adapter reads the
 * runtime's database options only when it connects. No real database is used.
 */
import { ServiceBroker, type Service } from "moleculer";
import type { Options as SequelizeOptions } from "sequelize";
import { DbMixin } from "../../../mixins/db.mixin";
import { setRuntime } from "../../../src/runtime";
import { loadConfig } from "../../../src/config";
import { MemoryStore } from "../../../src/store";
import type { Database } from "../../../src/database";

const CRUD_ACTIONS = ["find", "count", "list", "create", "insert", "get", "update", "remove"];

interface TestAdapter {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

function widgetsSchema() {
  return {
    name: "widgets",
    mixins: [DbMixin({ model: { name: "widget", define: {} }, poolMax: 3 })],
    actions: {
      ping() {
        return "pong";
      },
    },
  };
}

describe("DbMixin", () => {
  let broker: ServiceBroker;

  afterEach(async () => {
    await broker?.stop();
    setRuntime(null);
  });

  describe("actions", () => {
    it("should expose none of moleculer-db's CRUD actions, only the service's own", async () => {
      broker = new ServiceBroker({ logger: false });
      const service = broker.createService(widgetsSchema()) as Service & { adapter: TestAdapter };
      // No database here: the started() hook connects, so the connection is stubbed.
      service.adapter.connect = jest.fn(async () => undefined);
      service.adapter.disconnect = jest.fn(async () => undefined);
      await broker.start();

      const names = broker.registry.getActionList({}).map((action: { name: string }) => action.name);
      expect(names).toContain("widgets.ping");
      for (const crud of CRUD_ACTIONS) expect(names).not.toContain(`widgets.${crud}`);
      await expect(broker.call("widgets.ping")).resolves.toBe("pong");
      await expect(broker.call("widgets.find")).rejects.toBeInstanceOf(Error);
    });
  });

  describe("adapter.connect", () => {
    it("should read the runtime's database options when it connects, not before", async () => {
      broker = new ServiceBroker({ logger: false });
      // Defining the service must not need the runtime (it is set later by startNode).
      setRuntime(null);
      const service = broker.createService(widgetsSchema()) as Service & { adapter: TestAdapter };

      const sequelizeOptions = jest.fn(
        (poolMax = 10): SequelizeOptions & { noSync: true } => ({
          dialect: "postgres",
          host: "127.0.0.1",
          port: 1,
          database: "nowhere",
          username: "nobody",
          logging: false,
          pool: { max: poolMax, min: 0, acquire: 2000, idle: 1000 },
          dialectOptions: { connectionTimeoutMillis: 2000 },
          noSync: true,
        }),
      );
      const database: Database = {
        connection: { host: "127.0.0.1", port: 1 },
        embedded: false,
        shared: null,
        query: async () => [],
        sequelizeOptions,
        ping: async () => undefined,
        close: async () => undefined,
      };
      setRuntime({ config: loadConfig({}), database, store: new MemoryStore(), jwtSecret: "x".repeat(32) });
      expect(sequelizeOptions).not.toHaveBeenCalled();

      await expect(service.adapter.connect()).rejects.toBeInstanceOf(Error);
      expect(sequelizeOptions).toHaveBeenCalledTimes(1);
      expect(sequelizeOptions).toHaveBeenCalledWith(3);
      await service.adapter.disconnect();
    });

    it("should fail to connect, naming the missing runtime, when none is set", async () => {
      broker = new ServiceBroker({ logger: false });
      const service = broker.createService(widgetsSchema()) as Service & { adapter: TestAdapter };
      setRuntime(null);
      expect(() => service.adapter.connect()).toThrow(/runtime not initialised/);
    });
  });
});
