/**
 * DbMixin: moleculer-db's generic CRUD actions are switched off, and the adapter reads the
 * node's database options only when it connects (through the function it was given, which the
 * schema's deep clone keeps). No real database is used.
 */
import { ServiceBroker, type Service } from "moleculer";
import type { Options as SequelizeOptions } from "sequelize";
import { DbMixin } from "../../../mixins/db.mixin";
import type { Database } from "../../../src/database";

const CRUD_ACTIONS = ["find", "count", "list", "create", "insert", "get", "update", "remove"];

interface TestAdapter {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

function widgetsSchema(database: () => Database) {
  return {
    name: "widgets",
    mixins: [DbMixin({ table: "widgets", database, poolMax: 3 })],
    actions: {
      ping() {
        return "pong";
      },
    },
  };
}

const noDatabase = (): Database => {
  throw new Error("no database yet");
};

describe("DbMixin", () => {
  let broker: ServiceBroker;

  afterEach(async () => {
    await broker?.stop();
  });

  describe("actions", () => {
    it("should expose none of moleculer-db's CRUD actions, only the service's own", async () => {
      broker = new ServiceBroker({ logger: false });
      const service = broker.createService(widgetsSchema(noDatabase)) as Service & { adapter: TestAdapter };
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
    it("should read the node's database options when it connects, not before", async () => {
      broker = new ServiceBroker({ logger: false });
      let current: Database | null = null;
      // Defining the service must not need the database (startNode opens it later).
      const service = broker.createService(widgetsSchema(() => current ?? noDatabase())) as Service & { adapter: TestAdapter };

      const sequelizeOptions = jest.fn((poolMax = 10): SequelizeOptions & { noSync: true } => ({
        dialect: "postgres",
        host: "127.0.0.1",
        port: 1,
        database: "nowhere",
        username: "nobody",
        logging: false,
        pool: { max: poolMax, min: 0, acquire: 2000, idle: 1000 },
        dialectOptions: { connectionTimeoutMillis: 2000 },
        noSync: true,
      }));
      current = {
        connection: { host: "127.0.0.1", port: 1 },
        embedded: false,
        describe: () => "postgres://nobody@127.0.0.1:1/nowhere",
        shared: null,
        query: async () => [],
        sequelizeOptions,
        ping: async () => undefined,
        close: async () => undefined,
      };
      expect(sequelizeOptions).not.toHaveBeenCalled();

      await expect(service.adapter.connect()).rejects.toBeInstanceOf(Error);
      expect(sequelizeOptions).toHaveBeenCalledTimes(1);
      expect(sequelizeOptions).toHaveBeenCalledWith(3);
      await service.adapter.disconnect();
    });

    it("should fail to connect, saying why, when the node has no database", async () => {
      broker = new ServiceBroker({ logger: false });
      const service = broker.createService(widgetsSchema(noDatabase)) as Service & { adapter: TestAdapter };
      expect(() => service.adapter.connect()).toThrow(/no database yet/);
    });
  });
});
