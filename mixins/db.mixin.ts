/**
 * moleculer-db with the Sequelize adapter, wired the way this stack needs (docs/architecture.md,
 * "Pitfalls"):
 * - the adapter gets connection *options*, read when it connects (never a Sequelize instance:
 *   Moleculer and moleculer-db deep-clone the schema, and a cloned live instance fails with
 *   "Illegal invocation"); the node's database reaches it through a function, which cloning keeps;
 * - `noSync`: the schema comes from migrations only;
 * - moleculer-db's generic CRUD actions are switched off: they would hand raw rows (password
 *   hashes included) to any caller in the cluster. Services expose their own actions, and their
 *   SQL lives in their table owner's data module (src/data/).
 * Multi-statement writes run in `this.sequelize().transaction(...)`.
 */
import DbService from "moleculer-db";
import SqlAdapter from "moleculer-db-adapter-sequelize";
import type { ServiceSchema } from "moleculer";
import type { Sequelize } from "sequelize";
import type { Database } from "../src/database";

export interface DbMixinOptions {
  /** The service's own (main) table: moleculer-db's adapter wants a model; no query uses it. */
  table: string;
  /** The node's database, looked up when the adapter connects. */
  database: () => Database;
  /** Connections this service may hold. */
  poolMax?: number;
}

export interface DbMethods {
  sequelize(): Sequelize;
}

class NodeSqlAdapter extends SqlAdapter {
  constructor(
    private readonly database: () => Database,
    private readonly poolMax: number,
  ) {
    super({});
  }

  override connect(): Promise<void> {
    const database = this.database();
    // Embedded: the one shared instance (set here, after the schema was cloned).
    (this as unknown as { opts: unknown[] }).opts = [database.shared ?? database.sequelizeOptions(this.poolMax)];
    return super.connect();
  }

  /** The shared embedded instance belongs to the database and is closed with it. */
  override disconnect(): Promise<void> {
    return this.database().shared ? Promise.resolve() : super.disconnect();
  }
}

const CRUD_ACTIONS = ["find", "count", "list", "create", "insert", "get", "update", "remove"] as const;

export function DbMixin(options: DbMixinOptions): Partial<ServiceSchema> & { adapter: unknown; model: unknown } {
  return {
    mixins: [DbService as Partial<ServiceSchema>],
    adapter: new NodeSqlAdapter(options.database, options.poolMax ?? 10),
    model: { name: options.table, define: {}, options: { tableName: options.table, timestamps: false } },
    actions: Object.fromEntries(CRUD_ACTIONS.map((name) => [name, false])),
    methods: {
      sequelize(this: { adapter: { db: Sequelize } }): Sequelize {
        return this.adapter.db;
      },
    },
  };
}
