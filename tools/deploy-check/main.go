// deploy-check: static checks of ParkPay's deployment files where Docker is not available.
//
//   - The Dockerfile is linted by BuildKit's own checks (what `docker build --check` runs: the same
//     dockerfile2llb.DockerfileLint), then by hadolint-style rules (DLxxxx, hadolint's numbers) and
//     ParkPay's rules (PPxxx) on the parsed instructions.
//   - The compose file is loaded by compose-go, the loader of `docker compose config` (the Compose
//     Specification's JSON schema, interpolation, merges), then checked against the deployment's shape
//     (PCxxx): a 3-member replica set initiated before ParkPay starts, two ParkPay instances, a TLS-terminating
//     proxy as the only published service, secrets not written into the file.
//
// Usage: deploy-check -dockerfile Dockerfile -compose deploy/compose.yaml -nginx deploy/nginx/parkpay.conf.template [-env K=V]...
// Prints one line per finding ("file:line: RULE: message") and exits 1 when there is any.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/opencontainers/go-digest"
)

type finding struct {
	file string
	line int
	rule string
	msg  string
}

var findings []finding

func report(file string, line int, rule, format string, args ...any) {
	findings = append(findings, finding{file, line, rule, fmt.Sprintf(format, args...)})
}

type envFlags []string

func (e *envFlags) String() string     { return strings.Join(*e, ",") }
func (e *envFlags) Set(v string) error { *e = append(*e, v); return nil }

func main() {
	dockerfile := flag.String("dockerfile", "", "the Dockerfile")
	compose := flag.String("compose", "", "the compose file")
	nginx := flag.String("nginx", "", "the nginx configuration the proxy runs (upstreams checked against the instances)")
	var env envFlags
	flag.Var(&env, "env", "a variable for compose interpolation, K=V (repeatable)")
	flag.Parse()

	var image imageFacts
	if *dockerfile != "" {
		image = checkDockerfile(*dockerfile)
	}
	if *compose != "" {
		checkCompose(*compose, env, image, *nginx)
	}
	sort.SliceStable(findings, func(i, j int) bool {
		if findings[i].file != findings[j].file {
			return findings[i].file < findings[j].file
		}
		return findings[i].line < findings[j].line
	})
	for _, f := range findings {
		fmt.Printf("%s:%d: %s: %s\n", f.file, f.line, f.rule, f.msg)
	}
	if len(findings) > 0 {
		os.Exit(1)
	}
	fmt.Println("deploy-check: no findings")
}

// ── Dockerfile ────────────────────────────────────────────────────────────────────────────────────────

// What the compose checks need to know of the image.
type imageFacts struct {
	healthcheck bool
}

func checkDockerfile(path string) imageFacts {
	dt, err := os.ReadFile(path)
	if err != nil {
		report(path, 0, "READ", "%v", err)
		return imageFacts{}
	}
	// BuildKit's checks, as `docker build --check` runs them (no base image is pulled for them).
	smap := llb.NewSourceMap(nil, path, "Dockerfile", dt)
	smap.Definition = &llb.Definition{}
	results, err := dockerfile2llb.DockerfileLint(context.Background(), dt, dockerfile2llb.ConvertOpt{SourceMap: smap, MetaResolver: offlineImages{}})
	if err != nil {
		report(path, 0, "BUILDKIT", "%v", err)
	} else {
		for _, w := range results.Warnings {
			line := 0
			if w.Location != nil && len(w.Location.Ranges) > 0 {
				line = int(w.Location.Ranges[0].Start.Line)
			}
			report(path, line, "buildkit/"+w.RuleName, "%s", w.Detail)
		}
		if results.Error != nil {
			line := 0
			if len(results.Error.Location.Ranges) > 0 {
				line = int(results.Error.Location.Ranges[0].Start.Line)
			}
			report(path, line, "buildkit/error", "%s", results.Error.Message)
		}
	}

	ast, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		report(path, 0, "PARSE", "%v", err)
		return imageFacts{}
	}
	stages, metaArgs, err := instructions.Parse(ast.AST, nil)
	if err != nil {
		report(path, 0, "PARSE", "%v", err)
		return imageFacts{}
	}
	args := map[string]string{}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			if kv.Value != nil {
				args[kv.Key] = *kv.Value
			}
		}
	}
	expand := func(s string) string {
		return regexp.MustCompile(`\$\{?(\w+)\}?`).ReplaceAllStringFunc(s, func(m string) string {
			name := strings.Trim(m, "${}")
			if v, ok := args[name]; ok {
				return v
			}
			return m
		})
	}
	lineOf := func(loc []parser.Range) int {
		if len(loc) == 0 {
			return 0
		}
		return loc[0].Start.Line
	}

	if len(stages) < 2 {
		report(path, 0, "PP001", "a multi-stage build is expected: build tools stay in a build stage, the runtime stage holds what runs")
	}
	names := map[string]bool{}
	for i, st := range stages {
		base := expand(st.BaseName)
		if !names[strings.ToLower(base)] && base != "scratch" {
			ref := base
			if at := strings.Index(ref, "@"); at >= 0 {
				ref = ref[:at]
			} else if colon := strings.LastIndex(ref, ":"); colon < 0 || strings.Contains(ref[colon:], "/") {
				report(path, lineOf(st.Location), "DL3006", "always tag the version of an image explicitly: %s", base)
			} else if ref[colon+1:] == "latest" {
				report(path, lineOf(st.Location), "DL3007", "using latest is prone to errors: pin the version of %s", base)
			}
		}
		if st.Name != "" {
			names[strings.ToLower(st.Name)] = true
		}
		final := i == len(stages)-1
		pipefail := false
		lastUser := ""
		healthcheck := false
		nodeEnvProduction := false
		for _, c := range st.Commands {
			line := lineOf(c.Location())
			switch cmd := c.(type) {
			case *instructions.ShellCommand:
				pipefail = strings.Contains(strings.Join(cmd.Shell, " "), "pipefail")
			case *instructions.RunCommand:
				script := strings.Join(cmd.CmdLine, " ")
				checkRun(path, line, script, pipefail)
			case *instructions.WorkdirCommand:
				if !strings.HasPrefix(cmd.Path, "/") && !strings.HasPrefix(cmd.Path, "$") {
					report(path, line, "DL3000", "use absolute WORKDIR: %s", cmd.Path)
				}
			case *instructions.AddCommand:
				for _, src := range cmd.SourcePaths {
					if !regexp.MustCompile(`^(https?|git)://|\.(tar(\.\w+)?|tgz)$`).MatchString(src) {
						report(path, line, "DL3020", "use COPY instead of ADD for files and folders: %s", src)
					}
				}
			case *instructions.UserCommand:
				lastUser = cmd.User
			case *instructions.HealthCheckCommand:
				healthcheck = cmd.Health != nil && len(cmd.Health.Test) > 0 && cmd.Health.Test[0] != "NONE"
			case *instructions.EnvCommand:
				for _, kv := range cmd.Env {
					if kv.Key == "NODE_ENV" && kv.Value == "production" {
						nodeEnvProduction = true
					}
				}
			case *instructions.CopyCommand:
				if final {
					for _, src := range cmd.SourcePaths {
						if includesSandbox(src) {
							report(path, line, "PP005", "the runtime image must not hold the stand-ins (server/sandbox): %s copies them", src)
						}
					}
				}
			case *instructions.CmdCommand:
				if final {
					checkRuntimeCommand(path, line, "CMD", cmd.CmdLine, cmd.PrependShell)
				}
			case *instructions.EntrypointCommand:
				if final {
					checkRuntimeCommand(path, line, "ENTRYPOINT", cmd.CmdLine, cmd.PrependShell)
				}
			}
		}
		if final {
			if lastUser == "" || lastUser == "root" || lastUser == "0" || strings.HasPrefix(lastUser, "0:") || strings.HasPrefix(lastUser, "root:") {
				report(path, lineOf(st.Location), "DL3002", "the last USER of the runtime stage must not be root (it is %q)", lastUser)
			}
			if !healthcheck {
				report(path, lineOf(st.Location), "PP004", "the runtime stage needs a HEALTHCHECK (compose waits on it before the proxy starts)")
			}
			if !nodeEnvProduction {
				report(path, lineOf(st.Location), "PP007", "the runtime stage sets NODE_ENV=production")
			}
			return imageFacts{healthcheck: healthcheck}
		}
	}
	return imageFacts{}
}

// Base images are not pulled: each resolves to an empty linux/amd64 configuration, so the checks that read
// the Dockerfile alone all run and none of them needs a registry.
type offlineImages struct{}

func (offlineImages) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	cfg := []byte(`{"architecture":"amd64","os":"linux","config":{}}`)
	return ref, digest.FromBytes(cfg), cfg, nil
}

// A COPY source that holds server/sandbox: the folder itself, or a folder above it (the whole context, a
// dist/ or dist/server/ of the build, the server/ sources).
func includesSandbox(src string) bool {
	p := strings.Trim(filepath.ToSlash(filepath.Clean(src)), "/")
	if strings.Contains(p, "sandbox") || p == "" || p == "." {
		return true
	}
	for _, tail := range []string{"dist", "dist/server", "server"} {
		if p == tail || strings.HasSuffix(p, "/"+tail) {
			return true
		}
	}
	return false
}

func checkRun(path string, line int, script string, pipefail bool) {
	if regexp.MustCompile(`(^|[;&|]\s*)cd\s`).MatchString(script) {
		report(path, line, "DL3003", "use WORKDIR to switch to a directory, not cd")
	}
	if regexp.MustCompile(`[^|]\|[^|]`).MatchString(script) && !pipefail {
		report(path, line, "DL4006", "set SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"] before a RUN with a pipe")
	}
	if regexp.MustCompile(`\bnpm\s+(install|i)\b`).MatchString(script) {
		report(path, line, "PP003", "use npm ci (the lockfile, exactly), not npm install")
	}
	if m := regexp.MustCompile(`apt-get\s+(-\S+\s+)*install\s+([^&;|]*)`).FindStringSubmatch(script); m != nil {
		if !strings.Contains(m[0], "--no-install-recommends") {
			report(path, line, "DL3015", "avoid additional packages: apt-get install --no-install-recommends")
		}
		for _, word := range strings.Fields(m[2]) {
			if !strings.HasPrefix(word, "-") && !strings.Contains(word, "=") {
				report(path, line, "DL3008", "pin versions in apt-get install: %s", word)
			}
		}
		if !strings.Contains(script, "rm -rf /var/lib/apt/lists/*") {
			report(path, line, "DL3009", "delete the apt lists after installing (rm -rf /var/lib/apt/lists/*)")
		}
	}
	if regexp.MustCompile(`apt-get\s+(-\S+\s+)*(upgrade|dist-upgrade)`).MatchString(script) {
		report(path, line, "DL3005", "do not use apt-get upgrade or dist-upgrade")
	}
}

// The runtime runs node itself: not npm (which does not pass SIGTERM on) and not tsx (whose launcher
// SIGKILLs the server 30 ms after relaying a signal).
func checkRuntimeCommand(path string, line int, what string, args []string, shell bool) {
	if shell {
		report(path, line, "DL3025", "use the JSON form of %s so signals reach the process", what)
		return
	}
	if len(args) == 0 {
		return
	}
	joined := strings.Join(args, " ")
	if regexp.MustCompile(`\b(tsx|npm|npx|yarn)\b`).MatchString(joined) {
		report(path, line, "PP006", "%s must run node on the build, not %q", what, joined)
	}
}

// ── compose ───────────────────────────────────────────────────────────────────────────────────────────

func checkCompose(path string, env []string, image imageFacts, nginxConf string) {
	abs, _ := filepath.Abs(path)
	dir := filepath.Dir(abs)
	opts, err := cli.NewProjectOptions([]string{abs},
		cli.WithWorkingDirectory(dir),
		cli.WithEnv(env),
		cli.WithName("parkpay"),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		report(path, 0, "COMPOSE", "%v", err)
		return
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		// Schema violations and interpolation errors, as docker compose config prints them.
		report(path, 0, "COMPOSE", "%v", err)
		return
	}
	raw, _ := os.ReadFile(abs)
	lineOf := func(service string) int {
		for i, l := range strings.Split(string(raw), "\n") {
			if strings.TrimSpace(l) == service+":" {
				return i + 1
			}
		}
		return 0
	}

	repoRoot := filepath.Dir(dir)
	isParkPay := func(s types.ServiceConfig) bool {
		if s.Build != nil && filepath.Clean(s.Build.Context) == filepath.Clean(repoRoot) {
			return true
		}
		return strings.HasPrefix(s.Image, "parkpay:") || strings.HasPrefix(s.Image, "parkpay/")
	}
	command := func(s types.ServiceConfig) string {
		return strings.Join(append(append([]string{}, s.Entrypoint...), s.Command...), " ")
	}

	// Replica set members: mongod with --replSet.
	members := map[string]types.ServiceConfig{}
	replSets := map[string]bool{}
	for name, s := range project.Services {
		if m := regexp.MustCompile(`\bmongod\b.*--replSet[ =](\S+)`).FindStringSubmatch(command(s)); m != nil {
			members[name] = s
			replSets[m[1]] = true
		}
	}
	if len(members) < 3 {
		report(path, 0, "PC001", "a 3-member MongoDB replica set is expected (mongod --replSet): %d member(s)", len(members))
	}
	if len(replSets) > 1 {
		report(path, 0, "PC001", "the members name different replica sets: %v", keys(replSets))
	}
	for name, s := range members {
		if len(s.Ports) > 0 {
			report(path, lineOf(name), "PC006", "%s publishes ports: the database is reachable on the internal network only", name)
		}
		hasData := false
		for _, v := range s.Volumes {
			if v.Target == "/data/db" {
				hasData = true
			}
		}
		if !hasData {
			report(path, lineOf(name), "PC007", "%s keeps /data/db in no volume: its data would go with the container", name)
		}
		if s.HealthCheck == nil {
			report(path, lineOf(name), "PC008", "%s has no healthcheck (the init job waits for healthy members)", name)
		}
	}

	// The one-shot job that initiates the set: restart "no", waits for every member to be healthy.
	initJobs := map[string]bool{}
	for name, s := range project.Services {
		if _, isMember := members[name]; isMember || s.Restart != "no" {
			continue
		}
		waits := 0
		for dep, d := range s.DependsOn {
			if _, ok := members[dep]; ok && d.Condition == types.ServiceConditionHealthy {
				waits++
			}
		}
		if waits == len(members) && len(members) > 0 {
			initJobs[name] = true
		}
	}
	if len(initJobs) == 0 {
		report(path, 0, "PC002", "no one-shot service (restart: \"no\") that waits for every replica-set member to be healthy and initiates the set")
	}

	// ParkPay instances (the image's own command), and one-shot ParkPay jobs (migrations).
	instances := []string{}
	instanceCount := 0
	oneShot := map[string]bool{}
	for name := range initJobs {
		oneShot[name] = true
	}
	for name, s := range project.Services {
		if !isParkPay(s) {
			continue
		}
		if s.Restart == "no" {
			oneShot[name] = true
			continue
		}
		instances = append(instances, name)
		replicas := 1
		if s.Deploy != nil && s.Deploy.Replicas != nil {
			replicas = *s.Deploy.Replicas
		}
		instanceCount += replicas
	}
	sort.Strings(instances)
	if instanceCount < 2 {
		report(path, 0, "PC003", "two ParkPay instances are expected: %d", instanceCount)
	}
	for _, name := range instances {
		s := project.Services[name]
		l := lineOf(name)
		if mode := s.Environment["PARKPAY_MODE"]; mode == nil || *mode != "production" {
			report(path, l, "PC004", "%s: PARKPAY_MODE must be production", name)
		}
		if len(s.Ports) > 0 {
			report(path, l, "PC006", "%s publishes ports: only the proxy is reachable from outside", name)
		}
		if s.HealthCheck == nil && !image.healthcheck {
			report(path, l, "PC004", "%s: no healthcheck, neither here nor in the image", name)
		}
		if s.Restart == "" {
			report(path, l, "PC004", "%s: set a restart policy", name)
		}
		if cfg := s.Environment["PARKPAY_CONFIG"]; cfg == nil || !strings.HasPrefix(*cfg, "/run/secrets/") {
			report(path, l, "PC010", "%s: the configuration (keys, the database password) comes from a secret: PARKPAY_CONFIG=/run/secrets/…", name)
		}
		reachesInit := false
		for dep, d := range s.DependsOn {
			if oneShot[dep] && d.Condition == types.ServiceConditionCompletedSuccessfully {
				reachesInit = reachesInit || initJobs[dep] || dependsOnAny(project, dep, initJobs)
			}
		}
		if !reachesInit {
			report(path, l, "PC002", "%s must start after the replica set is initiated (depends_on the init job: service_completed_successfully)", name)
		}
	}

	// Secrets are not written into the file.
	secretish := regexp.MustCompile(`(?i)(password|secret|token|apikey|api_key|private_?key|mongodb(\+srv)?://[^/@\s]+:[^@\s]+@)`)
	for name, s := range project.Services {
		for k, v := range s.Environment {
			if v == nil || strings.HasSuffix(k, "_FILE") || strings.HasPrefix(*v, "/run/secrets/") {
				continue
			}
			if secretish.MatchString(k) || secretish.MatchString(*v) {
				report(path, lineOf(name), "PC010", "%s: %s looks like a secret written into the file: use a secret", name, k)
			}
		}
	}

	// The proxy: the one published service, on 443, after the instances are healthy.
	proxies := []string{}
	for name, s := range project.Services {
		if len(s.Ports) == 0 {
			continue
		}
		if !regexp.MustCompile(`^(nginx|caddy|traefik|haproxy)[:@]`).MatchString(s.Image) {
			if !isParkPay(s) {
				if _, isMember := members[name]; !isMember {
					report(path, lineOf(name), "PC006", "%s publishes ports: only the proxy is reachable from outside", name)
				}
			}
			continue
		}
		proxies = append(proxies, name)
		tls := false
		for _, p := range s.Ports {
			if p.Target == 443 {
				tls = true
			}
		}
		if !tls {
			report(path, lineOf(name), "PC005", "%s does not publish 443: TLS terminates at the proxy", name)
		}
		for _, inst := range instances {
			if d, ok := s.DependsOn[inst]; !ok || d.Condition != types.ServiceConditionHealthy {
				report(path, lineOf(name), "PC005", "%s should start after %s is healthy", name, inst)
			}
		}
	}
	if len(proxies) != 1 {
		report(path, 0, "PC005", "one reverse proxy publishing 443 is expected, found %d", len(proxies))
	}

	if nginxConf != "" {
		checkUpstreams(nginxConf, project, instances)
	}
}

func dependsOnAny(p *types.Project, service string, targets map[string]bool) bool {
	for dep, d := range p.Services[service].DependsOn {
		if (targets[dep] || dependsOnAny(p, dep, targets)) && d.Condition == types.ServiceConditionCompletedSuccessfully {
			return true
		}
	}
	return false
}

// Every instance is an upstream server of the proxy, at the port the image listens on.
func checkUpstreams(path string, p *types.Project, instances []string) {
	dt, err := os.ReadFile(path)
	if err != nil {
		report(path, 0, "READ", "%v", err)
		return
	}
	servers := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s*server\s+([\w.-]+):(\d+)`).FindAllStringSubmatch(string(dt), -1) {
		servers[m[1]+":"+m[2]] = true
	}
	for _, name := range instances {
		host := p.Services[name].Hostname
		if host == "" {
			host = name
		}
		if !servers[host+":8080"] && !servers[name+":8080"] {
			report(path, 0, "PC009", "the proxy's upstream does not name %s (%s:8080)", name, host)
		}
	}
	for s := range servers {
		found := false
		for _, name := range instances {
			if s == name+":8080" || s == p.Services[name].Hostname+":8080" {
				found = true
			}
		}
		if !found {
			report(path, 0, "PC009", "the proxy's upstream names %s, which is no ParkPay instance", s)
		}
	}
}

func keys(m map[string]bool) []string {
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
