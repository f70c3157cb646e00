#!/usr/bin/env bash
# make image-check: build the Dockerfile with podman from a local Debian base, run the image, and check it:
#   1. `grader health` against the published port says SERVING;
#   2. one item grades through the published port (`grader grade --server`), and so does a code item, in
#      the nsjail sandbox, under deploy/k8s's container settings (seccomp unconfined, read-only root
#      with a /tmp volume, no capabilities, no privilege escalation);
#   3. the server runs as the image's non-root user (uid 10001);
#   4. SIGTERM stops it with exit status 0.
# Not part of `make test`: it takes minutes (the first run also debootstraps the base).
#
# Needs root and the Debian packages podman, runc and debootstrap. Settings (environment):
#   GRADER_VENV   the venv whose `grader` is the client (default .venv)
#   BASE_IMAGE    the base to build on (default localhost/grader-base, debootstrapped if missing)
#   IMAGE         the tag to build (default localhost/grader:check)
#   TORCH_WHEELS  a folder holding the torch 2.13.0 wheel, mounted for the build when it has one
#                 (default /opt/wheels); TORCH_INDEX then defaults to https://pypi.org/simple,
#                 for torch's own dependencies (the CPU wheel's +cpu version wins over PyPI's)
#   TORCH_INDEX   passed as the build-arg when set
#   CA_BUNDLE     the CA certificates pip trusts during the build, mounted over the base's own (default
#                 this host's /etc/ssl/certs/ca-certificates.crt: here a TLS proxy with its own CA stands
#                 between pip and the registry); not part of the image
#   PORT          the host port to publish 50051 on (default 50071)
#   SANDBOX_CHECK 0 skips the code item (hosts without unprivileged user namespaces; default 1)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${GRADER_VENV:-.venv}
BASE_IMAGE=${BASE_IMAGE:-localhost/grader-base}
IMAGE=${IMAGE:-localhost/grader:check}
TORCH_WHEELS=${TORCH_WHEELS:-/opt/wheels}
PORT=${PORT:-50071}
NAME=grader-image-check
TOKEN=image-check-token
started=$(date +%s)

step() { printf '\n== %s (%ss)\n' "$1" "$(($(date +%s) - started))"; }
fail() { echo "image-check FAILED: $*" >&2; podman logs "$NAME" 2>&1 | tail -20 >&2 || true; exit 1; }

# crun fails here on rlimits and hybrid cgroups: runc, no default ulimits, cgroupfs.
CONTAINERS_CONF=$(mktemp --suffix=.conf)
export CONTAINERS_CONF
cat >"$CONTAINERS_CONF" <<'EOF'
[containers]
default_ulimits = []

[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
EOF
cleanup() { podman rm -f "$NAME" >/dev/null 2>&1 || true; rm -f "$CONTAINERS_CONF"; }
trap cleanup EXIT

if ! podman image exists "$BASE_IMAGE"; then
    step "debootstrap a Debian bookworm base into $BASE_IMAGE"
    rootfs=$(mktemp -d)
    debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates bookworm "$rootfs" \
        >/dev/null
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*  # the downloaded packages
    tar -C "$rootfs" -c . | podman import - "$BASE_IMAGE" >/dev/null
    rm -rf "$rootfs"
fi

step "build $IMAGE from $BASE_IMAGE"
build=(podman build --network host --build-arg "BASE=$BASE_IMAGE" -t "$IMAGE")
CA_BUNDLE=${CA_BUNDLE-/etc/ssl/certs/ca-certificates.crt}
if [[ -n $CA_BUNDLE ]]; then
    build+=(--volume "$CA_BUNDLE:/etc/ssl/certs/ca-certificates.crt:ro")
fi
if compgen -G "$TORCH_WHEELS/torch-2.13.0*.whl" >/dev/null; then
    build+=(--volume "$TORCH_WHEELS:/wheels:ro" --build-arg TORCH_FIND_LINKS=/wheels
            --build-arg "TORCH_INDEX=${TORCH_INDEX:-https://pypi.org/simple}")
elif [[ -n ${TORCH_INDEX:-} ]]; then
    build+=(--build-arg "TORCH_INDEX=$TORCH_INDEX")
fi
"${build[@]}" .

step "run it, port 50051 published on 127.0.0.1:$PORT"
podman rm -f "$NAME" >/dev/null 2>&1 || true
# As deploy/k8s/deployment.yaml runs it (AppArmor, unconfined there, is not on this host).
podman run -d --name "$NAME" -p "127.0.0.1:$PORT:50051" -e GRADER_AUTH_TOKEN=$TOKEN -e GRADER_WORKERS=1 \
    --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges --security-opt seccomp=unconfined \
    "$IMAGE" >/dev/null
for _ in $(seq 180); do
    if "$VENV/bin/grader" health --target "127.0.0.1:$PORT" 2>/dev/null | grep -q SERVING; then break; fi
    [[ $(podman inspect --format '{{.State.Running}}' "$NAME") == true ]] || fail "the container exited"
    sleep 1
done

step "check 1: grader health"
health=$("$VENV/bin/grader" health --target "127.0.0.1:$PORT") || fail "not SERVING: $health"
echo "$health"
[[ $health == *": SERVING" ]] || fail "not SERVING: $health"

step "check 2: one item grades through the published port"
graded=$(printf '%s\n' '{"id": "a", "response": "So the answer is $\\boxed{\\frac{1}{2}}$.", "reference": "0.5"}' \
    | GRADER_AUTH_TOKEN=$TOKEN "$VENV/bin/grader" grade - --server "127.0.0.1:$PORT" --no-progress 2>/dev/null)
echo "$graded"
"$VENV/bin/python" -c 'import json, sys; r = json.loads(sys.argv[1]); assert r["status"] == "OK" \
    and r["correct"] is True and r["reward"] == 1.0, r' "$graded" || fail "the item did not grade correct"

if [[ ${SANDBOX_CHECK:-1} == 1 ]]; then
    program='```python\ndef square(x):\n    return x * x\n```'
    graded=$(printf '{"id": "c", "verifier": "code", "response": "%s", "reference": "%s"}\n' "$program" \
        '{\"test_list\": [\"assert square(3) == 9\"]}' \
        | GRADER_AUTH_TOKEN=$TOKEN "$VENV/bin/grader" grade - --server "127.0.0.1:$PORT" --no-progress 2>/dev/null)
    echo "$graded"
    "$VENV/bin/python" -c 'import json, sys; r = json.loads(sys.argv[1]); assert r["status"] == "OK" \
        and r["correct"] is True and r["method"] == "code+asserts", r' "$graded" \
        || fail "the code item did not grade correct in the sandbox"
fi

step "check 3: the server runs as the non-root user"
pid=$(podman inspect --format '{{.State.Pid}}' "$NAME")
uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")
echo "pid $pid (grader serve): uid $uid"
[[ $uid == 10001 ]] || fail "the server runs as uid $uid, not 10001"

step "check 4: SIGTERM exits 0"
podman kill --signal TERM "$NAME" >/dev/null
status=$(timeout 90 podman wait "$NAME")
echo "exit status $status"
[[ $status == 0 ]] || fail "exit status $status after SIGTERM"

size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
step "image-check passed: $IMAGE is $((size / 1000000)) MB"
