#!/usr/bin/env bash
# Checks deploy/compose/ against the code without a Docker engine (none runs here, so the compose stack is
# never started in CI). Prints one line per problem and exits 1 if there is any; silent apart from a summary
# line when all is well. Registered with ctest as deploy.compose_is_consistent (label unit).
#
# What it checks:
#   - docker-compose.yml parses as YAML and has the expected services, build context and Dockerfile
#   - every environment variable the project's services get is a documented setting (CONTRACT + README
#     extras) that the code actually reads; admin credentials go to the set-up service only; every ${VAR}
#     the file interpolates is one of those or a documented compose knob
#   - every program the project's services run is an add_executable() target, built and copied by the Dockerfile
#   - every Debian package the Dockerfile installs has an apt Candidate; the build stage's are in
#     deploy/debian-packages.txt
#   - the topic list equals libs/events/include/payments/events/topics.hpp, and no other payment-* topic is named
#   - the Dockerfile's COPY sources exist in the build context and are not excluded by .dockerignore
#   - depends_on targets and conditions, published ports and health checks agree with API_PORT /
#     WORKER_METRICS_PORT, KAFKA_BROKERS matches the broker's advertised listener, the init SQL creates exactly
#     the MYSQL_USER/MYSQL_PASSWORD the services use with DML rights on MYSQL_DATABASE
#   - no secret has a default: every secret is interpolated as ${VAR:?message} and nowhere with a fallback;
#     dev-secrets.sh prints every one of them, random and different on each run
#   - the Stripe simulator runs only in the `simulator` profile, and its guard script (run here with a stand-in
#     stripe-sim) refuses to start it beside real Stripe or a live key, and starts it for a simulator set-up
#   - `docker compose config -q` when a Compose CLI is installed (it needs no engine)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

# Debian's python3-yaml is for /usr/bin/python3; a python3 earlier on PATH may not have it.
python=""
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import yaml' 2>/dev/null; then
    python=$candidate
    break
  fi
done
if [ -z "$python" ]; then
  echo "check-compose: python3 with the yaml module is missing (Debian package python3-yaml; run 'make deps')"
  exit 1
fi

exec "$python" - "$root" <<'PYTHON'
import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import sys

import yaml

root = sys.argv[1]
compose_dir = os.path.join(root, "deploy", "compose")
compose_file = os.path.join(compose_dir, "docker-compose.yml")
problems = []


def problem(text):
    problems.append(text)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def rel(path):
    return os.path.relpath(path, root)


# The contract's configuration names, then the extras the code and README document.
CONTRACT_ENV = {
    "KAFKA_BROKERS", "MYSQL_HOST", "MYSQL_PORT", "MYSQL_USER", "MYSQL_PASSWORD", "MYSQL_DATABASE",
    "STRIPE_SECRET_KEY", "STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET", "OTP_SECRET", "API_PORT",
    "WORKER_METRICS_PORT", "LOG_LEVEL",
}
EXTRA_ENV = {
    "KAFKA_TOPIC_PREFIX", "WORKER_GROUP_ID", "MYSQL_ADMIN_USER", "MYSQL_ADMIN_PASSWORD", "API_BIND_ADDRESS",
    "WORKER_METRICS_BIND_ADDRESS", "WORKER_MAX_IN_FLIGHT", "API_ADMIN_PORT", "API_ADMIN_BIND_ADDRESS",
    "API_RATE_LIMIT_PER_SECOND", "API_DECLINE_LIMIT", "KAFKA_DEFAULT_MERCHANT", "AUTH_JWT_ISSUER",
    "AUTH_JWT_AUDIENCE", "AUTH_JWKS_FILE", "AUTH_JWT_HS256_SECRET", "AUTH_JWT_MERCHANT_CLAIM",
    "OTP_MAX_CODES_PER_DESTINATION_PER_HOUR", "INTERNAL_EVENT_KEY",
    "DATA_ENCRYPTION_KEY",
}
# Secrets: never a default in the compose file (fail closed), always ${VAR:?message}.
SECRETS = {"MYSQL_PASSWORD", "MYSQL_ROOT_PASSWORD", "MYSQL_ADMIN_PASSWORD", "STRIPE_SECRET_KEY",
           "STRIPE_WEBHOOK_SECRET", "OTP_SECRET", "INTERNAL_EVENT_KEY", "DATA_ENCRYPTION_KEY"}
# Read by stripe-sim-guard.sh only (the simulator service's command).
GUARD_ENV = {"STRIPE_SIM_LATENCY_MS"}
GUARD_SCRIPT = "stripe-sim-guard.sh"
ADMIN_ONLY_ENV = {"MYSQL_ADMIN_USER", "MYSQL_ADMIN_PASSWORD"}
# Host-side knobs the compose file interpolates that are no service setting (README.md of deploy/compose).
COMPOSE_KNOBS = {"MYSQL_ROOT_PASSWORD", "STRIPE_SIM_LATENCY_MS"}
# Programs a service command may use that are not the project's (all in debian:12-slim).
SYSTEM_PROGRAMS = {"bash", "sh", "exec", "set", "echo", "printf", "test", "[", "timeout", "sleep", "cat", "true", "exit"}
EXPECTED_SERVICES = {"kafka", "mysql", "setup", "stripe-sim", "api", "worker"}
SOURCE_DIRS = ("libs", "apps", "tools")

INTERPOLATION = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def interpolated_names(text):
    return {m.group(1) or m.group(4) for m in INTERPOLATION.finditer(text) if m.group(0) != "$$"}


def resolve(value):
    """What Compose makes of a value when the host environment sets nothing: defaults, $$ -> $."""
    if not isinstance(value, str):
        return value

    def one(m):
        if m.group(0) == "$$":
            return "$"
        if m.group(2) in (":-", "-"):
            return m.group(3)
        return ""

    return INTERPOLATION.sub(one, value)


def environment(service):
    env = service.get("environment") or {}
    if isinstance(env, list):
        out = {}
        for item in env:
            key, _, value = str(item).partition("=")
            out[key] = value
        return out
    return {str(k): ("" if v is None else str(v)) for k, v in env.items()}


# ---- the compose file parses -------------------------------------------------------------------------------
try:
    raw_text = read(compose_file)
    compose = yaml.safe_load(raw_text)
except FileNotFoundError:
    print(f"check-compose: {rel(compose_file)} is missing")
    sys.exit(1)
except yaml.YAMLError as e:
    print(f"check-compose: {rel(compose_file)} is not valid YAML: {str(e).splitlines()[0]}")
    sys.exit(1)
if not isinstance(compose, dict) or not isinstance(compose.get("services"), dict):
    print(f"check-compose: {rel(compose_file)} has no services mapping")
    sys.exit(1)
services = compose["services"]

for name in sorted(EXPECTED_SERVICES - services.keys()):
    problem(f"docker-compose.yml: service '{name}' is missing")

# ---- the project's image: build context and Dockerfile -----------------------------------------------------
project_services = {}
dockerfile_path = None
context_dir = None
for name, service in services.items():
    build = service.get("build")
    if build is None:
        continue
    project_services[name] = service
    if isinstance(build, str):
        build = {"context": build}
    ctx = os.path.normpath(os.path.join(compose_dir, build.get("context", ".")))
    dockerfile = os.path.normpath(os.path.join(ctx, build.get("dockerfile", "Dockerfile")))
    if ctx != root:
        problem(f"docker-compose.yml: service '{name}' builds with context {rel(ctx)}, not the repository root")
    if not os.path.isfile(dockerfile):
        problem(f"docker-compose.yml: service '{name}' names a Dockerfile that does not exist: {rel(dockerfile)}")
    context_dir, dockerfile_path = ctx, dockerfile
for name in ("setup", "stripe-sim", "api", "worker"):
    if name in services and name not in project_services:
        problem(f"docker-compose.yml: service '{name}' does not build the project image")

# ---- environment names -----------------------------------------------------------------------------------
known_env = CONTRACT_ENV | EXTRA_ENV
sources_text = ""
for d in SOURCE_DIRS:
    for dirpath, _, files in os.walk(os.path.join(root, d)):
        for f in files:
            if f.endswith((".cpp", ".hpp", ".h", ".cc")):
                sources_text += read(os.path.join(dirpath, f))
for name, service in project_services.items():
    for key in sorted(environment(service)):
        if name == "stripe-sim" and key in GUARD_ENV:
            continue
        if key not in known_env:
            problem(f"docker-compose.yml: service '{name}' sets {key}, which is no documented setting")
        elif f'"{key}"' not in sources_text:
            problem(f"docker-compose.yml: service '{name}' sets {key}, which no code under libs/ apps/ tools/ reads")
        if key in ADMIN_ONLY_ENV and name != "setup":
            problem(f"docker-compose.yml: service '{name}' gets the admin credential {key} (set-up only)")
for var in sorted(interpolated_names(raw_text)):
    if var not in known_env | COMPOSE_KNOBS:
        problem(f"docker-compose.yml: interpolates ${{{var}}}, which is neither a documented setting nor a compose knob")

# ---- Dockerfile: stages, packages, targets built and copied, COPY sources ----------------------------------
dockerfile_lines = []
if dockerfile_path and os.path.isfile(dockerfile_path):
    text = "\n".join(l for l in read(dockerfile_path).splitlines() if not l.lstrip().startswith("#"))
    dockerfile_lines = [l.strip() for l in re.sub(r"\\\n", " ", text).splitlines() if l.strip()]

stage = None
packages = {}  # package -> stage
built_targets = set()
copied_binaries = set()
copy_sources = []
for line in dockerfile_lines:
    instruction, _, rest = line.partition(" ")
    instruction = instruction.upper()
    if instruction == "FROM":
        m = re.search(r"\bAS\s+(\S+)", rest, re.IGNORECASE)
        stage = m.group(1) if m else rest.split()[0]
    elif instruction == "RUN":
        for m in re.finditer(r"apt-get\s+install\s+(.*?)(?:&&|;|$)", rest):
            for token in m.group(1).split():
                if not token.startswith("-"):
                    packages[token] = stage
        for m in re.finditer(r"--target\s+((?:[\w.+-]+\s*)+?)(?:&&|;|$)", rest):
            built_targets.update(t for t in m.group(1).split() if not t.startswith("-"))
    elif instruction in ("COPY", "ADD"):
        args = shlex.split(rest)
        flags = [a for a in args if a.startswith("--")]
        paths = [a for a in args if not a.startswith("--")]
        if len(paths) < 2:
            problem(f"Dockerfile: cannot read '{line}'")
            continue
        if any(f.startswith("--from=") for f in flags):
            copied_binaries.update(os.path.basename(p) for p in paths[:-1])
        else:
            copy_sources.extend(paths[:-1])
if dockerfile_path and not packages:
    problem("Dockerfile: no apt-get install found")

# The binaries CMake defines.
targets = set()
for dirpath, dirnames, files in os.walk(root):
    dirnames[:] = [d for d in dirnames if not d.startswith((".", "build"))]
    if "CMakeLists.txt" in files:
        targets.update(re.findall(r"add_executable\(\s*([\w.+-]+)", read(os.path.join(dirpath, "CMakeLists.txt"))))
for t in sorted(built_targets - targets):
    problem(f"Dockerfile: builds --target {t}, which no add_executable() defines")


def programs(command):
    """The programs a compose command runs: argv[0], or each simple command of a `bash -c` script."""
    if command is None:
        return []
    argv = shlex.split(command) if isinstance(command, str) else [str(a) for a in command]
    if not argv:
        return []
    if argv[0] in ("bash", "sh", "/bin/bash", "/bin/sh") and len(argv) > 1:
        script_index = next((i for i, a in enumerate(argv[1:], 1) if a.startswith("-") and "c" in a), None)
        if script_index is not None and script_index + 1 < len(argv):
            found = []
            for part in re.split(r"\n|&&|\|\||;|\|", argv[script_index + 1]):
                words = [w for w in part.split() if not re.match(r"^[A-Za-z_]\w*=", w)]
                if words and words[0] == "exec":
                    words = words[1:]
                if words:
                    found.append(words[0])
            return found
    return [argv[0]]


for name, service in project_services.items():
    run = programs(service.get("entrypoint")) + programs(service.get("command"))
    if not run:
        problem(f"docker-compose.yml: service '{name}' names no command (the image's default is no contract)")
    for program in run:
        program = os.path.basename(resolve(program))
        if program in SYSTEM_PROGRAMS:
            continue
        if program not in targets:
            problem(f"docker-compose.yml: service '{name}' runs {program}, which no add_executable() defines")
            continue
        if program not in built_targets:
            problem(f"Dockerfile: does not build {program} (service '{name}' runs it)")
        if program not in copied_binaries:
            problem(f"Dockerfile: does not copy {program} into the runtime image (service '{name}' runs it)")

# Packages: one apt-cache call for all of them.
if packages:
    if shutil.which("apt-cache") is None:
        problem("apt-cache not found: cannot check the Dockerfile's Debian package names")
    else:
        out = subprocess.run(["apt-cache", "policy", *sorted(packages)], capture_output=True, text=True).stdout
        candidates = {}
        current = None
        for line in out.splitlines():
            if line and not line.startswith(" ") and line.endswith(":"):
                current = line[:-1]
            elif current and line.strip().startswith("Candidate:"):
                candidates[current] = line.split(":", 1)[1].strip()
        if all(candidates.get(pkg, "(none)") == "(none)" for pkg in packages):
            problem("apt knows none of the Dockerfile's packages: no package lists? (run 'apt-get update')")
        else:
            for pkg in sorted(packages):
                if candidates.get(pkg, "(none)") == "(none)":
                    problem(f"Dockerfile: Debian package {pkg} has no apt Candidate (misspelt, or not in Debian 12?)")
    listed = {l.strip() for l in read(os.path.join(root, "deploy", "debian-packages.txt")).splitlines()
              if l.strip() and not l.strip().startswith("#")}
    build_stage = next((s for s in packages.values() if s == "build"), None)
    for pkg, pkg_stage in sorted(packages.items()):
        if pkg_stage == "build" and pkg not in listed:
            problem(f"Dockerfile: build stage installs {pkg}, which deploy/debian-packages.txt does not list")
    if build_stage is None:
        problem("Dockerfile: no stage named 'build' installs packages")

# COPY sources exist in the context and survive .dockerignore.
ignore_patterns = []
dockerignore = os.path.join(context_dir or root, ".dockerignore")
if os.path.isfile(dockerignore):
    ignore_patterns = [os.path.normpath(l.strip()).lstrip("/") for l in read(dockerignore).splitlines()
                       if l.strip() and not l.strip().startswith(("#", "!"))]
else:
    problem(f"{rel(dockerignore)} is missing: the build context would include build*/ .local/ .git/")
for wanted in ("build*", ".local", ".git"):
    if ignore_patterns and wanted not in ignore_patterns:
        problem(f".dockerignore: does not exclude {wanted}")
for src in copy_sources:
    path = os.path.normpath(os.path.join(context_dir or root, src))
    if not os.path.exists(path):
        problem(f"Dockerfile: COPY source {src} does not exist in the build context")
    if any(fnmatch.fnmatch(src.rstrip("/"), p) or fnmatch.fnmatch(src.split("/")[0], p) for p in ignore_patterns):
        problem(f"Dockerfile: COPY source {src} is excluded by .dockerignore")

# ---- topics --------------------------------------------------------------------------------------------------
topics_hpp = os.path.join(root, "libs", "events", "include", "payments", "events", "topics.hpp")
struct = re.search(r"struct\s+TopicNames\s*\{(.*?)\};", read(topics_hpp), re.S)
code_topics = set(re.findall(r'std::string\s+\w+\s*=\s*"([^"]+)"', struct.group(1))) if struct else set()
if not code_topics:
    problem(f"{rel(topics_hpp)}: no topic names found in struct TopicNames")
listed_topics = compose.get("x-payments-topics")
if not isinstance(listed_topics, list):
    problem("docker-compose.yml: x-payments-topics (the topics set-up creates) is missing")
else:
    for t in sorted(set(listed_topics) - code_topics):
        problem(f"docker-compose.yml: x-payments-topics names {t}, which topics.hpp does not define")
    for t in sorted(code_topics - set(listed_topics)):
        problem(f"docker-compose.yml: x-payments-topics lacks {t} (topics.hpp defines it)")
topic_word = re.compile(r"(?<![\w/-])payment-[a-z]+(?:-[a-z]+)*(?![\w-])")
for f in sorted(os.listdir(compose_dir)):
    path = os.path.join(compose_dir, f)
    if os.path.isfile(path) and f.endswith((".yml", ".yaml", ".md")):
        for t in sorted(set(topic_word.findall(read(path))) - code_topics):
            problem(f"{rel(path)}: names topic {t}, which topics.hpp does not define")

# ---- depends_on, health checks, ports -----------------------------------------------------------------------
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
for name, service in services.items():
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        problem(f"docker-compose.yml: service '{name}' lists depends_on without conditions")
        deps = {d: {} for d in deps}
    for dep, spec in deps.items():
        condition = (spec or {}).get("condition", "service_started")
        if dep not in services:
            problem(f"docker-compose.yml: service '{name}' depends on unknown service '{dep}'")
        elif condition not in CONDITIONS:
            problem(f"docker-compose.yml: service '{name}' waits for '{dep}' with unknown condition {condition}")
        elif condition == "service_healthy" and "healthcheck" not in services[dep]:
            problem(f"docker-compose.yml: service '{name}' waits for '{dep}' to be healthy, but it has no healthcheck")
for name in ("api", "worker"):
    deps = (services.get(name) or {}).get("depends_on") or {}
    if isinstance(deps, dict) and (deps.get("setup") or {}).get("condition") != "service_completed_successfully":
        problem(f"docker-compose.yml: service '{name}' does not wait for setup to complete successfully")


def container_ports(service):
    out = set()
    for p in service.get("ports") or []:
        target = p.get("target") if isinstance(p, dict) else str(p).split("/")[0].rsplit(":", 1)[-1]
        out.add(str(target))
    return out


for name, port_var, path in (("api", "API_PORT", "/ready"), ("worker", "WORKER_METRICS_PORT", "/health"),
                             ("stripe-sim", None, "/_sim/health")):
    service = services.get(name)
    if service is None:
        continue
    if port_var:
        port = resolve(environment(service).get(port_var, ""))
        if not port:
            problem(f"docker-compose.yml: service '{name}' does not set {port_var}")
            continue
    else:
        m = re.search(r"--port[ =\"',]+(\d+)", str(service.get("command")))
        port = m.group(1) if m else "12111"
    if port not in container_ports(service):
        problem(f"docker-compose.yml: service '{name}' listens on {port} but does not publish it")
    test = resolve(" ".join(map(str, (service.get("healthcheck") or {}).get("test") or [])))
    if f"/dev/tcp/127.0.0.1/{port}" not in test and f"localhost:{port}" not in test:
        problem(f"docker-compose.yml: service '{name}' has no health check on its port {port}")
    elif path not in test:
        problem(f"docker-compose.yml: service '{name}' health check does not ask {path}")
sim = services.get("stripe-sim")
guard_path = os.path.join(compose_dir, GUARD_SCRIPT)
guard_text = read(guard_path) if os.path.isfile(guard_path) else ""
if sim is not None and "0.0.0.0" not in str(sim.get("command")) + guard_text:
    problem("docker-compose.yml: stripe-sim does not listen on 0.0.0.0, other containers cannot reach it")

# ---- Kafka and MySQL agree with what the services are told -------------------------------------------------
kafka_env = environment(services.get("kafka") or {})
advertised = resolve(kafka_env.get("KAFKA_ADVERTISED_LISTENERS", ""))
if resolve(kafka_env.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "")).lower() != "false":
    problem("docker-compose.yml: kafka must set KAFKA_AUTO_CREATE_TOPICS_ENABLE=false (topics come from set-up)")
for setting in ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"):
    if resolve(kafka_env.get(setting, "")) != "1":
        problem(f"docker-compose.yml: kafka must set {setting}=1 on a single node")
mysql_env = environment(services.get("mysql") or {})
init_sql = ""
for volume in (services.get("mysql") or {}).get("volumes") or []:
    source = str(volume).split(":")[0]
    if source.startswith("."):
        path = os.path.normpath(os.path.join(compose_dir, source))
        if not os.path.exists(path):
            problem(f"docker-compose.yml: mysql mounts {source}, which does not exist")
        elif os.path.isdir(path):
            init_sql += "".join(read(os.path.join(path, f)) for f in sorted(os.listdir(path))
                                if f.endswith((".sql", ".sh")))
for name, service in project_services.items():
    env = {k: resolve(v) for k, v in environment(service).items()}
    brokers = env.get("KAFKA_BROKERS")
    if brokers is not None:
        for broker in brokers.split(","):
            if f"//{broker}" not in advertised:
                problem(f"docker-compose.yml: service '{name}' uses broker {broker}, which kafka does not advertise")
    database = env.get("MYSQL_DATABASE")
    if database is not None and database != resolve(mysql_env.get("MYSQL_DATABASE", "")):
        problem(f"docker-compose.yml: service '{name}' uses database {database}, mysql creates another")
    if "MYSQL_ADMIN_PASSWORD" in environment(service) and \
            environment(service)["MYSQL_ADMIN_PASSWORD"] != mysql_env.get("MYSQL_ROOT_PASSWORD"):
        problem(f"docker-compose.yml: service '{name}' MYSQL_ADMIN_PASSWORD is not mysql's MYSQL_ROOT_PASSWORD")
    user = env.get("MYSQL_USER")
    if user is not None:
        # The init script takes the password from PAYMENTS_APP_PASSWORD, which mysql must get from the same
        # variable the services' MYSQL_PASSWORD comes from.
        created = re.search(r"CREATE USER[^;]*'%s'@'%%'\s+IDENTIFIED BY '\$(\w+)'" % re.escape(user), init_sql, re.I)
        service_source = interpolated_names(environment(service).get("MYSQL_PASSWORD", ""))
        if not created:
            problem(f"deploy/compose/mysql-init: does not create the account {user}@'%' that service '{name}' uses")
        elif "PAYMENTS_APP_PASSWORD" not in init_sql or \
                interpolated_names(mysql_env.get("PAYMENTS_APP_PASSWORD", "")) != service_source or not service_source:
            problem(f"deploy/compose: the password mysql-init gives {user} is not service '{name}' MYSQL_PASSWORD")
        grant = re.search(r"GRANT\s+(.*?)\s+ON\s+`?(\w+)`?\.\*\s+TO\s+'%s'" % re.escape(user), init_sql, re.I | re.S)
        if not grant:
            problem(f"deploy/compose/mysql-init: grants {user} nothing")
        else:
            rights = {r.strip().upper() for r in grant.group(1).split(",")}
            if rights != {"SELECT", "INSERT", "UPDATE", "DELETE"} or grant.group(2) != database:
                problem(f"deploy/compose/mysql-init: {user} must have exactly SELECT, INSERT, UPDATE, DELETE "
                        f"on {database}.*")

# ---- secrets fail closed --------------------------------------------------------------------------------------
for m in INTERPOLATION.finditer(raw_text):
    if m.group(0) == "$$":
        continue
    var, operator = m.group(1) or m.group(4), m.group(2)
    if var in SECRETS and operator != ":?":
        problem(f"docker-compose.yml: {m.group(0)} must be ${{{var}:?message}}: a secret has no default")
for name, service in services.items():
    for key, value in environment(service).items():
        if key in SECRETS | {"PAYMENTS_APP_PASSWORD"} and not re.fullmatch(r"\$\{[A-Z_]+:\?[^}]*\}", value):
            problem(f"docker-compose.yml: service '{name}' {key} is not a required ${{VAR:?}} (a literal secret?)")
dev_secrets = os.path.join(compose_dir, "dev-secrets.sh")
if not os.path.isfile(dev_secrets):
    problem("deploy/compose/dev-secrets.sh is missing")
else:
    runs = [subprocess.run(["bash", dev_secrets], capture_output=True, text=True) for _ in range(2)]
    values = []
    for run in runs:
        pairs = dict(l.split("=", 1) for l in run.stdout.splitlines() if "=" in l and not l.startswith("#"))
        values.append(pairs)
        if run.returncode != 0:
            problem(f"dev-secrets.sh failed: {run.stderr.strip()}")
    needed = {v for v in interpolated_names(raw_text) if v in SECRETS}
    for var in sorted(needed - values[0].keys()):
        problem(f"dev-secrets.sh does not set {var}, which docker-compose.yml requires")
    for var in sorted(needed & values[0].keys() - {"STRIPE_SECRET_KEY"}):
        if values[0][var] == values[1].get(var) or len(values[0][var]) < 24:
            problem(f"dev-secrets.sh: {var} is not a fresh random value of 24 or more characters")
    if values[0].get("COMPOSE_PROFILES") != "simulator" or \
            not values[0].get("STRIPE_SECRET_KEY", "").startswith("sk_test_"):
        problem("dev-secrets.sh: a try-out .env must select the simulator profile with a test key")

# ---- the simulator: its profile only, never beside real Stripe ------------------------------------------------
if sim is not None:
    if sim.get("profiles") != ["simulator"]:
        problem("docker-compose.yml: stripe-sim must run only in the 'simulator' profile")
    for name, service in services.items():
        dep = ((service.get("depends_on") or {}).get("stripe-sim") if isinstance(service.get("depends_on"), dict)
               else None)
        if dep is not None and dep.get("required", True) is not False:
            problem(f"docker-compose.yml: service '{name}' requires stripe-sim, which runs only in its profile")
    if GUARD_SCRIPT not in str(sim.get("command")) or not any(GUARD_SCRIPT in str(v) for v in sim.get("volumes") or []):
        problem(f"docker-compose.yml: stripe-sim must run through {GUARD_SCRIPT}, mounted into the container")
    if not guard_text:
        problem(f"deploy/compose/{GUARD_SCRIPT} is missing")
    else:
        if "exec stripe-sim" not in guard_text:
            problem(f"{GUARD_SCRIPT}: does not exec stripe-sim")
        elif "stripe-sim" not in copied_binaries:
            problem("Dockerfile: does not copy stripe-sim into the runtime image (the simulator service runs it)")
        import tempfile
        with tempfile.TemporaryDirectory() as fake_bin:
            stand_in = os.path.join(fake_bin, "stripe-sim")
            with open(stand_in, "w") as f:
                f.write("#!/bin/sh\necho started\n")
            os.chmod(stand_in, 0o755)

            def guard(base, key):
                env = {"PATH": fake_bin + ":/usr/bin:/bin", "STRIPE_API_BASE": base, "STRIPE_SECRET_KEY": key,
                       "STRIPE_WEBHOOK_SECRET": "whsec_x"}
                run = subprocess.run(["bash", guard_path], capture_output=True, text=True, env=env)
                return run.returncode == 0 and "started" in run.stdout

            for base, key in (("https://api.stripe.com", "sk_test_x"), ("https://api.stripe.com", "sk_live_x"),
                              ("http://stripe-sim:12111", "sk_live_x"), ("http://stripe-sim:12111", "rk_live_x"),
                              ("", "")):
                if guard(base, key):
                    problem(f"{GUARD_SCRIPT}: starts the simulator with STRIPE_API_BASE={base!r} and a "
                            f"{key[:8] or 'missing'} key")
            if not guard("http://stripe-sim:12111", "sk_test_simulator"):
                problem(f"{GUARD_SCRIPT}: does not start the simulator for a simulator set-up")

# ---- the Compose CLI's own validation, when one is installed (needs no engine) ------------------------------
if shutil.which("docker"):
    has_compose = subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    if has_compose:
        result = subprocess.run(["docker", "compose", "-f", compose_file, "config", "-q"],
                                capture_output=True, text=True, cwd=compose_dir)
        if result.returncode != 0:
            problem("docker compose config: " + (result.stderr.strip().splitlines() or ["failed"])[-1])

for p in problems:
    print(f"check-compose: {p}")
if problems:
    sys.exit(1)
print(f"check-compose: deploy/compose is consistent ({len(services)} services, {len(packages)} packages, "
      f"{len(code_topics)} topics)")
PYTHON
