/**
 * Renders a kustomization the way `kubectl kustomize` does, for what k8s/ uses: `resources`
 * (files and directories with their own kustomization), `components`, `namespace` and `images`.
 * Anything else in a kustomization is refused, so a file using more is not silently misread.
 * test/unit/deploy-files.spec.ts compares the result with `kubectl kustomize` where it exists.
 */
import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";

// Parsed YAML of any shape: the checks read optional paths through it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = Record<string, any> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

interface Kustomization {
  resources?: string[];
  components?: string[];
  namespace?: string;
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
}

const UNDERSTOOD = new Set(["apiVersion", "kind", "resources", "components", "namespace", "images"]);
/** Kinds that live outside namespaces (of those this project could use). */
const CLUSTER_SCOPED = new Set([
  "Namespace",
  "ClusterRole",
  "ClusterRoleBinding",
  "PersistentVolume",
  "StorageClass",
  "CustomResourceDefinition",
]);

export function readYamlObjects(file: string): K8sObject[] {
  const documents = parseAllDocuments(fs.readFileSync(file, "utf8"));
  return documents.flatMap((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0].message}`);
    const value = document.toJS() as K8sObject | null;
    return value === null ? [] : [value];
  });
}

function readKustomization(dir: string): Kustomization {
  const file = ["kustomization.yaml", "kustomization.yml", "Kustomization"]
    .map((name) => path.join(dir, name))
    .find((f) => fs.existsSync(f));
  if (!file) throw new Error(`${dir}: no kustomization.yaml`);
  const [kustomization] = readYamlObjects(file) as unknown as Kustomization[];
  const unknown = Object.keys(kustomization).filter((key) => !UNDERSTOOD.has(key));
  if (unknown.length > 0) throw new Error(`${file}: this renderer does not handle ${unknown.join(", ")}`);
  return kustomization;
}

function setImages(objects: K8sObject[], images: NonNullable<Kustomization["images"]>): void {
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== "object") return;
    const record = node as Record<string, unknown>;
    for (const key of ["containers", "initContainers"]) {
      for (const container of (record[key] as Array<{ image?: string }> | undefined) ?? []) {
        const [name, tag] = splitImage(container.image ?? "");
        const rule = images.find((image) => image.name === name);
        if (rule) container.image = `${rule.newName ?? name}${(rule.newTag ?? tag) ? `:${rule.newTag ?? tag}` : ""}`;
      }
    }
    Object.values(record).forEach(visit);
  };
  objects.forEach(visit);
}

/** `registry:5000/name:tag` → [`registry:5000/name`, `tag`]. */
export function splitImage(image: string): [string, string | null] {
  const at = image.lastIndexOf(":");
  return at > image.lastIndexOf("/") ? [image.slice(0, at), image.slice(at + 1)] : [image, null];
}

export function renderKustomization(dir: string): K8sObject[] {
  const kustomization = readKustomization(dir);
  const objects: K8sObject[] = [];
  for (const resource of kustomization.resources ?? []) {
    const target = path.resolve(dir, resource);
    objects.push(...(fs.statSync(target).isDirectory() ? renderKustomization(target) : readYamlObjects(target)));
  }
  for (const component of kustomization.components ?? []) {
    const componentDir = path.resolve(dir, component);
    const parts = readKustomization(componentDir);
    for (const resource of parts.resources ?? []) objects.push(...readYamlObjects(path.resolve(componentDir, resource)));
    if (parts.images) setImages(objects, parts.images);
  }
  if (kustomization.namespace) {
    for (const object of objects) if (!CLUSTER_SCOPED.has(object.kind)) object.metadata.namespace = kustomization.namespace;
  }
  if (kustomization.images) setImages(objects, kustomization.images);
  return objects;
}
