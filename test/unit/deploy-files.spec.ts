/**
 * The deployment files as CI checks them (issue 11, check 3): docker-compose.yml against the
 * Compose Specification's schema, every object of k8s/ and k8s/kafka/ against the Kubernetes
 * schemas after kustomize-like rendering, and both against the code. Each check is shown to
 * reject a deliberately broken copy.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { checkDeployFiles, KUSTOMIZATIONS } from "../../deploy-check";
import { renderKustomization, type K8sObject } from "../../deploy-check/kustomize";
import { kubernetesSchemaProblems } from "../../deploy-check/kubernetes";
import { kubernetesConsistencyProblems, variablesReadByCode } from "../../deploy-check/consistency";
import { composeConsistencyProblems, composeSchemaProblems, readCompose } from "../../deploy-check/compose";

const ROOT = path.resolve(__dirname, "../..");
const KUBECTL = "/usr/bin/kubectl";
const clone = <T>(value: T): T => structuredClone(value);
const find = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name) as K8sObject;

describe("deployment files", () => {
  const read = variablesReadByCode(ROOT);
  const rendered = renderKustomization(path.join(ROOT, "k8s"));

  it("pass every check as committed", () => {
    expect(checkDeployFiles(ROOT)).toEqual([]);
  });

  it("reads the variables from the code (a sample of those the configuration knows)", () => {
    for (const name of ["DATABASE_URL", "REDIS_URL", "SERVICES", "METRICS_PORT", "SHUTDOWN_DRAIN_MS", "MIGRATE_ON_START", "LOG_FILE"])
      expect(read).toContain(name);
    expect(read).not.toContain("REDIS_PASSWORD");
  });

  (fs.existsSync(KUBECTL) ? it : it.skip).each(KUSTOMIZATIONS)("renders %s as kubectl kustomize does", (dir) => {
    const theirs = parseAllDocuments(execFileSync(KUBECTL, ["kustomize", path.join(ROOT, dir)], { encoding: "utf8" })).map(
      (d) => d.toJS() as K8sObject,
    );
    const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
    const sorted = (list: K8sObject[]) => [...list].sort((a, b) => key(a).localeCompare(key(b)));
    expect(sorted(renderKustomization(path.join(ROOT, dir)))).toEqual(sorted(theirs));
  });

  it("has every object §8 lists: probes on every role, a PDB per multi-replica role, HPAs, Ingress, policies, the migration Job", () => {
    const kinds = (kind: string) =>
      rendered
        .filter((o) => o.kind === kind)
        .map((o) => o.metadata.name)
        .sort();
    expect(kinds("Deployment")).toEqual(["api", "domain", "notifications", "reminders"]);
    for (const name of kinds("Deployment")) {
      const [container] = find(rendered, "Deployment", name).spec.template.spec.containers;
      expect([name, container.readinessProbe?.httpGet?.path, container.livenessProbe?.httpGet?.path]).toEqual([
        name,
        "/health/ready",
        "/health/live",
      ]);
      expect(container.image).toBe("ghcr.io/habit-tracker/habit-tracker:0.1.0");
    }
    expect(kinds("HorizontalPodAutoscaler")).toEqual(["api", "domain"]);
    expect(kinds("PodDisruptionBudget")).toEqual(["api", "domain", "notifications"]);
    expect(kinds("Ingress")).toEqual(["api"]);
    expect(kinds("Job")).toEqual(["migrate"]);
    expect(kinds("NetworkPolicy")).toEqual([
      "api-from-anywhere",
      "default-deny-ingress",
      "metrics-from-cluster",
      "postgres-from-app",
      "redis-from-app",
    ]);
    expect(kinds("StatefulSet")).toEqual(["postgres", "redis"]);
    expect(find(rendered, "StatefulSet", "redis").spec.template.spec.containers[0].args).toContain("--requirepass");
  });

  describe("reject a broken copy", () => {
    it("of a Kubernetes object that breaks the schema (a string for replicas, a probe without its handler's port)", () => {
      const broken = clone(rendered);
      find(broken, "Deployment", "notifications").spec.replicas = "two";
      delete find(broken, "Deployment", "api").spec.template.spec.containers[0].readinessProbe.httpGet.port;
      const problems = kubernetesSchemaProblems(broken);
      expect(problems).toEqual([expect.stringMatching(/^Deployment\/api: /), expect.stringMatching(/^Deployment\/notifications: /)]);
    });

    it("of a kind the check does not know", () => {
      expect(kubernetesSchemaProblems([{ apiVersion: "v1", kind: "Podd", metadata: { name: "x" } }])).toEqual([
        expect.stringMatching(/not a kind/),
      ]);
    });

    it("that sets a variable the code does not read, or a port where the app does not listen", () => {
      const broken = clone(rendered);
      find(broken, "ConfigMap", "habit-tracker-config").data.REDIS_PASSWORD = "oops";
      find(broken, "Deployment", "domain").spec.template.spec.containers[0].ports[0].containerPort = 9090;
      find(broken, "Service", "api").spec.ports[0].targetPort = "web";
      expect(kubernetesConsistencyProblems(broken, read)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/container api: sets REDIS_PASSWORD, which the code does not read/),
          expect.stringMatching(
            /Deployment\/domain container domain: port "metrics" is 9090 but METRICS_PORT makes the app listen on 3030/,
          ),
          expect.stringMatching(/Service\/api: targetPort web is no port of its pods/),
        ]),
      );
    });

    it("whose image has no registry", () => {
      const broken = clone(rendered);
      for (const o of broken)
        for (const c of o.spec?.template?.spec?.containers ?? [])
          if (String(c.image).includes("habit-tracker")) c.image = "habit-tracker:0.1.0";
      expect(kubernetesConsistencyProblems(broken, read)).toEqual([expect.stringMatching(/names no registry/)]);
    });

    it("of the compose file that breaks the Compose schema", () => {
      const compose = readCompose(path.join(ROOT, "docker-compose.yml"));
      (compose.services as Record<string, Record<string, unknown>>).api.healthcheck = { interval: "soon" };
      (compose.services as Record<string, Record<string, unknown>>).redis.portz = ["6379"];
      const problems = composeSchemaProblems(compose);
      expect(problems.join("\n")).toMatch(/\/services\/api\/healthcheck\/interval: must match format "duration"/);
      expect(problems.join("\n")).toMatch(/portz/);
    });

    it("of the compose file with a second image, an unpinned tag, an unread variable, a port on every interface", () => {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ht-compose-")), "docker-compose.yml");
      const compose = readCompose(path.join(ROOT, "docker-compose.yml")) as { services: Record<string, Record<string, any>> };
      compose.services.reminders.build = ".";
      compose.services.mailpit.image = "axllent/mailpit";
      compose.services.notifications.environment.SMTP_PASSWORD = "x";
      compose.services.api.ports = ["3000:3000"];
      fs.writeFileSync(file, stringify(compose));
      expect(composeConsistencyProblems(readCompose(file), "habit-tracker", read)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/migrate, reminders each build the image/),
          expect.stringMatching(/mailpit: image axllent\/mailpit has no pinned tag/),
          expect.stringMatching(/notifications: sets SMTP_PASSWORD, which the code does not read/),
          expect.stringMatching(/api: publishes 3000 on every interface/),
        ]),
      );
    });
  });
});
