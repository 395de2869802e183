/** Every check of the deployment files at once (bin/check-deploy.ts, test/unit/deploy-files.spec.ts). */
import path from "node:path";
import { renderKustomization } from "./kustomize";
import { kubernetesSchemaProblems } from "./kubernetes";
import { kubernetesConsistencyProblems, variablesReadByCode } from "./consistency";
import { composeConsistencyProblems, composeSchemaProblems, readCompose } from "./compose";

/** The app's image in compose. */
export const APP_IMAGE = "habit-tracker";
/** The kustomizations a user applies: without and with Kafka. */
export const KUSTOMIZATIONS = ["k8s", "k8s/kafka"];

export function checkDeployFiles(root: string): string[] {
  const read = variablesReadByCode(root);
  const problems: string[] = [];
  for (const dir of KUSTOMIZATIONS) {
    const objects = renderKustomization(path.join(root, dir));
    problems.push(...[...kubernetesSchemaProblems(objects), ...kubernetesConsistencyProblems(objects, read)].map((p) => `${dir}: ${p}`));
  }
  const compose = readCompose(path.join(root, "docker-compose.yml"));
  problems.push(...composeSchemaProblems(compose), ...composeConsistencyProblems(compose, APP_IMAGE, read));
  return problems;
}
