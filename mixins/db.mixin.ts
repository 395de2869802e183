/**
 * moleculer-db with the Sequelize adapter, wired the way this stack needs (DESIGN.md §7):
 * - the adapter gets connection *options* (never a Sequelize instance: moleculer-db deep-clones
 *   the schema, and a cloned live instance fails with "Illegal invocation"), read when it
 *   connects, because the database is opened by startNode after services are defined;
 * - `noSync`: the schema comes from migrations only;
 * - moleculer-db's generic CRUD actions are switched off: they would hand raw rows (password
 *   hashes included) to any caller in the cluster. Services expose their own actions.
 * Multi-statement writes run in `this.sequelize().transaction(...)`.
 */
import DbService from "moleculer-db";
import SqlAdapter from "moleculer-db-adapter-sequelize";
import type { ServiceSchema } from "moleculer";
import type { ModelAttributes, ModelOptions, ModelStatic, Model, Sequelize } from "sequelize";
import { getDatabase } from "../src/runtime";

export interface DbMixinOptions {
  model: { name: string; define: ModelAttributes; options?: ModelOptions };
  /** Connections this service may hold. */
  poolMax?: number;
}

export interface DbMethods {
  sequelize(): Sequelize;
  dbModel<M extends Model>(): ModelStatic<M>;
}

class RuntimeSqlAdapter extends SqlAdapter {
  constructor(private readonly poolMax: number) {
    super({});
  }

  override connect(): Promise<void> {
    const database = getDatabase();
    // Embedded: the one shared instance (set here, after moleculer-db cloned the schema).
    (this as unknown as { opts: unknown[] }).opts = [database.shared ?? database.sequelizeOptions(this.poolMax)];
    return super.connect();
  }

  /** The shared embedded instance belongs to the database and is closed with it. */
  override disconnect(): Promise<void> {
    return getDatabase().shared ? Promise.resolve() : super.disconnect();
  }
}

const CRUD_ACTIONS = ["find", "count", "list", "create", "insert", "get", "update", "remove"] as const;

export function DbMixin(options: DbMixinOptions): Partial<ServiceSchema> & { adapter: unknown; model: unknown } {
  return {
    mixins: [DbService as Partial<ServiceSchema>],
    adapter: new RuntimeSqlAdapter(options.poolMax ?? 10),
    model: options.model,
    actions: Object.fromEntries(CRUD_ACTIONS.map((name) => [name, false])),
    methods: {
      sequelize(this: { adapter: { db: Sequelize } }): Sequelize {
        return this.adapter.db;
      },
      dbModel(this: { adapter: { model: unknown } }) {
        return this.adapter.model;
      },
    },
  };
}
