/**
 * What schemas cannot see: every variable the deployment files set on an app container is one
 * the code reads, and every port they name or number is one the app listens on (PORT,
 * METRICS_PORT) or one their own objects declare.
 */
import fs from "node:fs";
import path from "node:path";
import { describeObject } from "./kubernetes";
import { splitImage, type K8sObject } from "./kustomize";

const ROOT = path.resolve(__dirname, fs.existsSync(path.resolve(__dirname, "../src")) ? ".." : "../..");

/** Variables the code reads: through src/config.ts's readers, or `env.X` / `process.env.X` anywhere in src/ and bin/. */
export function variablesReadByCode(root = ROOT): Set<string> {
  const names = new Set<string>();
  const files = ["src", "bin"].flatMap((dir) =>
    fs
      .readdirSync(path.join(root, dir))
      .filter((file) => file.endsWith(".ts"))
      .map((file) => path.join(root, dir, file)),
  );
  for (const file of files) {
    const source = fs.readFileSync(file, "utf8");
    for (const match of source.matchAll(/\(env, "([A-Z][A-Z0-9_]*)"/g)) names.add(match[1]);
    for (const match of source.matchAll(/\benv\.([A-Z][A-Z0-9_]*)\b/g)) names.add(match[1]);
  }
  return names;
}

const DEFAULT_PORTS = { PORT: 3000, METRICS_PORT: 3030 };

interface Container {
  name: string;
  image?: string;
  env?: Array<{ name: string; value?: string }>;
  envFrom?: Array<{ configMapRef?: { name: string } }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
}
type Probe = { httpGet?: { port: number | string }; tcpSocket?: { port: number | string } };

const isWorkload = (object: K8sObject) => ["Deployment", "StatefulSet", "Job"].includes(object.kind);
const podLabels = (object: K8sObject): Record<string, string> => object.spec?.template?.metadata?.labels ?? {};
const containersOf = (object: K8sObject): Container[] => object.spec?.template?.spec?.containers ?? [];
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  Object.entries(selector ?? {}).every(([key, value]) => labels[key] === value);

/** Pods of the app carry this label (every Deployment and the migrate Job in k8s/base). */
const isAppPod = (labels: Record<string, string>) => labels["app.kubernetes.io/name"] === "habit-tracker";

export function kubernetesConsistencyProblems(objects: K8sObject[], read = variablesReadByCode()): string[] {
  const problems: string[] = [];
  const appImages = new Set(
    objects
      .filter((o) => isWorkload(o) && isAppPod(podLabels(o)))
      .flatMap(containersOf)
      .map((c) => c.image ?? ""),
  );
  if (appImages.size !== 1) problems.push(`the app's pods run ${appImages.size} images (${[...appImages].join(", ")}); one image is built`);
  for (const image of appImages) {
    const [name, tag] = splitImage(image);
    // A registry host has a dot or a port, or is localhost (Docker's own rule).
    if (!/^([^/]+\.[^/]+|[^/]+:\d+|localhost)\//.test(name))
      problems.push(`the app's image ${image} names no registry: every pod would fail to pull it`);
    if (tag === null || tag === "latest") problems.push(`the app's image ${image} has no pinned tag`);
  }
  const configMaps = new Map(
    objects.filter((o) => o.kind === "ConfigMap").map((o) => [o.metadata.name, (o.data ?? {}) as Record<string, string>]),
  );
  const workloads = objects.filter(isWorkload);
  const portNamesOf = (labels: Record<string, string> | undefined) =>
    new Set(
      workloads
        .filter((w) => matches(labels, podLabels(w)))
        .flatMap((w) => containersOf(w).flatMap((c) => (c.ports ?? []).flatMap((p) => [p.name, String(p.containerPort)]))),
    );
  for (const workload of workloads) {
    for (const container of containersOf(workload)) {
      const where = `${describeObject(workload)} container ${container.name}`;
      const ports = container.ports ?? [];
      const known = new Set(ports.flatMap((p) => [p.name, String(p.containerPort)]));
      for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe]) {
        const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port;
        if (port !== undefined && !known.has(String(port)))
          problems.push(`${where}: a probe uses port ${port}, which the container does not declare`);
      }
      if (!isAppPod(podLabels(workload))) continue;
      const values: Record<string, string> = {};
      for (const source of container.envFrom ?? []) Object.assign(values, configMaps.get(source.configMapRef?.name ?? "") ?? {});
      for (const variable of container.env ?? []) values[variable.name] = variable.value ?? "(from elsewhere)";
      for (const name of Object.keys(values)) if (!read.has(name)) problems.push(`${where}: sets ${name}, which the code does not read`);
      for (const [variable, portName] of [
        ["PORT", "http"],
        ["METRICS_PORT", "metrics"],
      ] as const) {
        const declared = ports.find((p) => p.name === portName);
        const listens = Number(values[variable] ?? DEFAULT_PORTS[variable]);
        if (declared && declared.containerPort !== listens) {
          problems.push(`${where}: port "${portName}" is ${declared.containerPort} but ${variable} makes the app listen on ${listens}`);
        }
      }
      const scrape = workload.spec?.template?.metadata?.annotations?.["prometheus.io/port"];
      const metrics = Number(values.METRICS_PORT ?? DEFAULT_PORTS.METRICS_PORT);
      if (scrape !== undefined && Number(scrape) !== metrics)
        problems.push(`${where}: prometheus.io/port ${scrape} is not METRICS_PORT ${metrics}`);
    }
  }
  for (const service of objects.filter((o) => o.kind === "Service")) {
    const names = portNamesOf(service.spec?.selector);
    if (names.size === 0) problems.push(`${describeObject(service)}: its selector matches no pod`);
    for (const port of service.spec?.ports ?? []) {
      if (!names.has(String(port.targetPort ?? port.port)))
        problems.push(`${describeObject(service)}: targetPort ${port.targetPort} is no port of its pods`);
    }
  }
  for (const policy of objects.filter((o) => o.kind === "NetworkPolicy")) {
    const names = portNamesOf(policy.spec?.podSelector?.matchLabels);
    for (const rule of policy.spec?.ingress ?? []) {
      for (const port of rule.ports ?? []) {
        if (!names.has(String(port.port))) problems.push(`${describeObject(policy)}: port ${port.port} is no port of the pods it selects`);
      }
    }
  }
  for (const object of objects.filter((o) => o.kind === "PodDisruptionBudget" || o.kind === "HorizontalPodAutoscaler")) {
    const target =
      object.kind === "PodDisruptionBudget"
        ? workloads.find((w) => matches(object.spec?.selector?.matchLabels, podLabels(w)))
        : workloads.find((w) => w.kind === object.spec?.scaleTargetRef?.kind && w.metadata.name === object.spec?.scaleTargetRef?.name);
    if (!target) problems.push(`${describeObject(object)}: targets no workload`);
  }
  for (const ingress of objects.filter((o) => o.kind === "Ingress")) {
    for (const rule of ingress.spec?.rules ?? []) {
      for (const { backend } of rule.http?.paths ?? []) {
        const service = objects.find((o) => o.kind === "Service" && o.metadata.name === backend?.service?.name);
        const port = backend?.service?.port?.name ?? String(backend?.service?.port?.number);
        if (!service?.spec?.ports?.some((p: { name?: string; port: number }) => p.name === port || String(p.port) === port)) {
          problems.push(`${describeObject(ingress)}: backend ${backend?.service?.name}:${port} is no Service port`);
        }
      }
    }
  }
  return problems;
}
