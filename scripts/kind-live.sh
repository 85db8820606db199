#!/usr/bin/env bash
# Runs the live suites on a kind cluster with image volumes, a local
# registry and the real Perses image, the way the nightly workflow does.
#
# Needs: docker, kind (0.27 or later), kubectl, Node 20 with `npm ci` done,
# Go for the stand-in used by the API contract tests.
# NOTE: written for CI and developer machines with Docker; it has not run
# on the machine the suite was built on, which has no Docker engine.
set -euo pipefail
cd "$(dirname "$0")/.."

CLUSTER_NAME="${KIND_CLUSTER_NAME:-perses-live}"
# The node image must ship containerd 2.1 or later, the first release that
# mounts image volumes. Kubernetes 1.33 and 1.34 keep ImageVolume behind a
# beta gate that is off by default; 1.35 turns it on by default.
NODE_IMAGE="${KIND_NODE_IMAGE:-kindest/node:v1.34.0}"
PERSES_IMAGE="${PERSES_IMAGE:-docker.io/persesdev/perses:v0.54.0}"
REGISTRY_NAME="${KIND_REGISTRY_NAME:-kind-registry}"
REGISTRY_PORT="${KIND_REGISTRY_PORT:-5001}"
KEEP_CLUSTER="${KEEP_CLUSTER:-0}"

work_dir="$(mktemp -d)"
kubeconfig="$work_dir/kubeconfig"

cleanup() {
  if [ "$KEEP_CLUSTER" != 1 ]; then
    kind delete cluster --name "$CLUSTER_NAME" >/dev/null 2>&1 || true
    docker rm -f "$REGISTRY_NAME" >/dev/null 2>&1 || true
  fi
  rm -rf "$work_dir"
}
trap cleanup EXIT

echo "==> local registry $REGISTRY_NAME on 127.0.0.1:$REGISTRY_PORT"
if [ "$(docker inspect -f '{{.State.Running}}' "$REGISTRY_NAME" 2>/dev/null || true)" != true ]; then
  docker run -d --restart=always -p "127.0.0.1:$REGISTRY_PORT:5000" --network bridge --name "$REGISTRY_NAME" registry:2 >/dev/null
fi

echo "==> kind cluster $CLUSTER_NAME ($NODE_IMAGE) with the ImageVolume gate"
# kind passes featureGates to the API server, controller manager,
# scheduler and kubelet alike. config_path lets each registry have a
# hosts.toml under /etc/containerd/certs.d; the patch uses the plugin name
# from kind's local registry guide, which containerd 2 migrates on load.
cat >"$work_dir/kind.yaml" <<YAML
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
featureGates:
  ImageVolume: true
containerdConfigPatches:
  - |-
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = "/etc/containerd/certs.d"
nodes:
  - role: control-plane
    image: $NODE_IMAGE
YAML
kind create cluster --name "$CLUSTER_NAME" --config "$work_dir/kind.yaml" --kubeconfig "$kubeconfig" --wait 120s

echo "==> point localhost:$REGISTRY_PORT on the nodes at the registry container"
for node in $(kind get nodes --name "$CLUSTER_NAME"); do
  docker exec "$node" mkdir -p "/etc/containerd/certs.d/localhost:$REGISTRY_PORT"
  printf '[host."http://%s:5000"]\n' "$REGISTRY_NAME" | docker exec -i "$node" cp /dev/stdin "/etc/containerd/certs.d/localhost:$REGISTRY_PORT/hosts.toml"
done
if [ "$(docker inspect -f "{{json .NetworkSettings.Networks.kind}}" "$REGISTRY_NAME")" = null ]; then
  docker network connect kind "$REGISTRY_NAME"
fi

echo "==> load $PERSES_IMAGE into the nodes"
docker pull "$PERSES_IMAGE"
kind load docker-image "$PERSES_IMAGE" --name "$CLUSTER_NAME"

# The contract tests run the same Perses binary as a local process.
container_id="$(docker create "$PERSES_IMAGE")"
docker cp "$container_id:/bin/perses" "$work_dir/perses"
docker rm "$container_id" >/dev/null

echo "==> npx vitest run suites/live"
LIVE_KUBECONFIG="$kubeconfig" \
LIVE_REGISTRY="localhost:$REGISTRY_PORT" \
PERSES_IMAGE="$PERSES_IMAGE" \
PERSES_BIN="$work_dir/perses" \
  npx vitest run suites/live
