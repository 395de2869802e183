/**
 * Every rendered object checked against the Kubernetes API's schemas (kubernetes-models'
 * validators, generated from the OpenAPI definitions): an unknown kind is a problem too.
 */
import { ConfigMap, Namespace, Secret, Service } from "kubernetes-models/v1";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { Job } from "kubernetes-models/batch/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { Ingress, NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import type { K8sObject } from "./kustomize";

type Model = new (data: K8sObject) => { validate(): void };

const MODELS: Record<string, Model> = {
  "v1/Namespace": Namespace,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "apps/v1/StatefulSet": StatefulSet,
  "batch/v1/Job": Job,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/Ingress": Ingress,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
};

export const describeObject = (object: K8sObject) => `${object.kind}/${object.metadata?.name ?? "?"}`;

export function kubernetesSchemaProblems(objects: K8sObject[]): string[] {
  return objects.flatMap((object) => {
    const Model = MODELS[`${object.apiVersion}/${object.kind}`];
    if (!Model) return [`${describeObject(object)}: ${object.apiVersion} ${object.kind} is not a kind this check knows`];
    try {
      new Model(object).validate();
      return [];
    } catch (err) {
      return [`${describeObject(object)}: ${(err as Error).message.split("\n").slice(0, 3).join(" ")}`];
    }
  });
}
