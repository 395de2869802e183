/**
 * `npm run check:deploy`: docker-compose.yml against the Compose Specification's schema, every
 * object of k8s/ and k8s/kafka/ (rendered like `kubectl kustomize`) against the Kubernetes
 * schemas, and both against the code: every variable and port they set is one it reads or
 * listens on. Prints each problem; exits 1 when there is one.
 */
import path from "node:path";
import { checkDeployFiles } from "../deploy-check";

const root = path.resolve(__dirname, "../..");
const problems = checkDeployFiles(root);
for (const problem of problems) process.stderr.write(`${problem}\n`);
process.stdout.write(problems.length === 0 ? "deployment files: ok\n" : `deployment files: ${problems.length} problem(s)\n`);
process.exit(problems.length === 0 ? 0 : 1);
