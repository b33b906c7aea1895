import SuperviseConfig
import SuperviseExport
import Testing

/// The Compose file model: what ADR-010's docker-compose.prod.yml uses, how files merge, and errors with file, line
/// and field.
struct ComposeReaderTests {
    static let adr = """
        services:
          api:
            image: agent-studio-api:${VERSION:-latest}
            deploy:
              replicas: 2
              resources:
                limits:
                  cpus: '1'
                  memory: 1G
            healthcheck:
              test: ["CMD", "curl", "-f", "http://localhost:8000/health/ready"]
              interval: 30s
            depends_on:
              db: { condition: service_healthy }
          worker:
            image: agent-studio-worker:${VERSION:-latest}
            command: uv run python -m agent_studio.worker.entrypoint
            deploy:
              replicas: 3
          db:
            image: postgres:15
        """

    func parse(_ files: [(String, String)], variables: [String: String] = [:]) throws -> ComposeProject {
        try ComposeReader.parse(files.map { (file: $0.0, yaml: $0.1) }, variables: variables)
    }

    func errors(_ files: [(String, String)]) -> [String] {
        do {
            _ = try parse(files)
            Issue.record("expected errors")
            return []
        } catch let invalid as InvalidConfig {
            return invalid.errors.map(\.description)
        } catch {
            Issue.record("\(error)")
            return []
        }
    }

    @Test func readsTheADRsFile() throws {
        let project = try parse([("prod.yml", Self.adr)])
        let api = try #require(project.service(named: "api"))
        #expect(api.image == "agent-studio-api:latest")
        #expect(api.replicas == 2)
        #expect(api.limits == ComposeResources(milliCPU: 1000, memoryBytes: 1 << 30))
        #expect(api.healthcheck?.command == ["curl", "-f", "http://localhost:8000/health/ready"])
        #expect(api.healthcheck?.interval == .seconds(30))
        #expect(api.healthcheck?.timeout == .seconds(30))
        #expect(api.healthcheck?.retries == 3)
        #expect(api.dependsOn.map { "\($0.service) \($0.condition)" } == ["db service_healthy"])
        let worker = try #require(project.service(named: "worker"))
        #expect(worker.command == ["uv", "run", "python", "-m", "agent_studio.worker.entrypoint"])
        #expect(project.services.map(\.name) == ["api", "worker", "db"])
    }

    @Test func variablesComeFromTheEnvironmentGiven() throws {
        let project = try parse([("prod.yml", Self.adr)], variables: ["VERSION": "1.4.2"])
        #expect(project.service(named: "api")?.image == "agent-studio-api:1.4.2")
        let unset = try parse([("a.yml", "services:\n  a:\n    image: x:$TAG\n    environment: [\"A=$$HOME\"]\n")])
        #expect(unset.service(named: "a")?.image == "x:")
        #expect(unset.service(named: "a")?.environment == [EnvironmentVariable(name: "A", value: "$HOME")])
        #expect(unset.notices.map(\.description) == [
            "a.yml:3:12: services.a.image: the variable TAG is not set and has no default: replaced by an empty string, "
                + "as Compose does; set it in the environment of the export",
        ])
        #expect(errors([("a.yml", "services:\n  a:\n    image: \"x:${TAG:?set TAG}\"\n")]) == [
            "a.yml:3:12: services.a.image: found TAG unset (set TAG), expected TAG set in the environment of the export",
        ])
    }

    @Test func commandsSplitAsComposeSplitsThem() throws {
        let project = try parse([("a.yml", """
            services:
              a:
                image: x
                command: sh -c 'echo "a b" && exit 0'
                entrypoint: ["/bin/tini", "--"]
            """)])
        #expect(project.service(named: "a")?.command == ["sh", "-c", "echo \"a b\" && exit 0"])
        #expect(project.service(named: "a")?.entrypoint == ["/bin/tini", "--"])
    }

    @Test func environmentListsAndMappings() throws {
        let project = try parse([("a.yml", """
            services:
              a:
                image: x
                environment: ["A=1", "B=two=2", "C", "HOME"]
              b:
                image: x
                environment: {A: 1, B: true, C: null, D: ""}
            """)], variables: ["HOME": "/root"])
        #expect(project.service(named: "a")?.environment.map { "\($0.name)=\($0.value)" } == ["A=1", "B=two=2", "HOME=/root"])
        #expect(project.service(named: "b")?.environment.map { "\($0.name)=\($0.value)" } == ["A=1", "B=true", "D="])
        #expect(project.notices.count == 2)
    }

    @Test func portsShortAndLong() throws {
        let project = try parse([("a.yml", """
            services:
              a:
                image: x
                ports:
                  - "8000"
                  - "8080:80"
                  - "127.0.0.1:6379:6379"
                  - "5060:5060/udp"
                  - "9000-9001:9000-9001"
                  - "[::1]:7000:7001"
                  - {target: 443, published: 8443, protocol: tcp}
            """)])
        #expect(project.service(named: "a")?.ports == [
            ComposePort(target: 8000), ComposePort(target: 80, published: 8080),
            ComposePort(target: 6379, published: 6379, hostIP: "127.0.0.1"),
            ComposePort(target: 5060, published: 5060, proto: "UDP"),
            ComposePort(target: 9000, published: 9000), ComposePort(target: 9001, published: 9001),
            ComposePort(target: 7001, published: 7000, hostIP: "::1"), ComposePort(target: 443, published: 8443),
        ])
    }

    @Test func healthcheckForms() throws {
        let project = try parse([("a.yml", """
            services:
              shell:
                image: x
                healthcheck: {test: ["CMD-SHELL", "pg_isready -U app"], retries: 5, start_period: 40s, timeout: 5s}
              string:
                image: x
                healthcheck: {test: "redis-cli ping"}
              none:
                image: x
                healthcheck: {test: ["NONE"]}
              disabled:
                image: x
                healthcheck: {test: ["CMD", "true"], disable: true}
            """)])
        let shell = try #require(project.service(named: "shell")?.healthcheck)
        #expect(shell.command == ["/bin/sh", "-c", "pg_isready -U app"])
        #expect(shell.retries == 5 && shell.startPeriod == .seconds(40) && shell.timeout == .seconds(5))
        #expect(project.service(named: "string")?.healthcheck?.command == ["/bin/sh", "-c", "redis-cli ping"])
        #expect(project.service(named: "none")?.healthcheck == nil)
        #expect(project.service(named: "disabled")?.healthcheck == nil)
    }

    /// Later files win key by key; environment, labels and depends_on merge entry by entry; ports add up.
    @Test func filesMergeAsComposeMergesThem() throws {
        let project = try parse([
            ("a.yml", """
                services:
                  api:
                    image: api:1
                    environment: {A: "1", B: "1"}
                    ports: ["8000:8000"]
                    deploy: {replicas: 2, resources: {limits: {cpus: '1', memory: 1G}}}
                """),
            ("b.yml", """
                services:
                  api:
                    image: api:2
                    environment: {B: "2", C: "3"}
                    ports: ["9000:9000"]
                    deploy: {resources: {limits: {memory: 2G}}}
                  redis:
                    image: redis:7
                """),
        ])
        let api = try #require(project.service(named: "api"))
        #expect(api.image == "api:2")
        #expect(api.environment.map { "\($0.name)=\($0.value)" } == ["A=1", "B=2", "C=3"])
        #expect(api.ports.map(\.target) == [8000, 9000])
        #expect(api.replicas == 2)
        #expect(api.limits == ComposeResources(milliCPU: 1000, memoryBytes: 2 << 30))
        #expect(project.services.map(\.name) == ["api", "redis"])
    }

    @Test func mergeKeysAndAnchors() throws {
        let project = try parse([("a.yml", """
            x-worker: &worker
              image: worker:1
              deploy: {replicas: 2}
            services:
              a:
                <<: *worker
                deploy: {replicas: 3}
              b: *worker
            """)])
        #expect(project.service(named: "a")?.image == "worker:1")
        #expect(project.service(named: "a")?.replicas == 3)
        #expect(project.service(named: "b")?.replicas == 2)
    }

    @Test func errorsNameFileLineAndField() {
        #expect(errors([("a.yml", """
            services:
              api:
                image: x
                deploy:
                  replicas: three
                  resources: {limits: {cpus: lots, memory: 1 GB}}
                ports: ["80:80:80:80"]
                healthcheck: {test: ["RUN", "x"], interval: 30}
                depends_on:
                  db: {condition: service_healty}
                restart: sometimes
            """)]) == [
            "a.yml:5:17: services.api.deploy.replicas: found \"three\", expected a whole number of 0 or more",
            "a.yml:6:34: services.api.deploy.resources.limits.cpus: found \"lots\", expected a number of CPUs such as "
                + "0.5, '1' or '2.25'",
            "a.yml:6:48: services.api.deploy.resources.limits.memory: found \"1 GB\", expected an amount of memory such "
                + "as 512M, 1G, 1.5g or 1073741824 (bytes)",
            "a.yml:7:13: services.api.ports[0]: found \"80:80:80:80\", expected " + Self.portExpected,
            "a.yml:8:25: services.api.healthcheck.test: found a list starting with \"RUN\", expected [\"CMD\", COMMAND, "
                + "ARG…], [\"CMD-SHELL\", \"COMMAND\"], [\"NONE\"] or a shell command",
            "a.yml:8:49: services.api.healthcheck.interval: found \"30\", expected a duration such as 10s, 1m30s or 500ms",
            "a.yml:10:7: services.api.depends_on.db: found \"db\", expected a service of the Compose files (api); give "
                + "the file that defines it with another --compose",
            "a.yml:10:23: services.api.depends_on.db.condition: found \"service_healty\", expected one of "
                + "service_started, service_healthy, service_completed_successfully",
            "a.yml:11:14: services.api.restart: found \"sometimes\", expected no, always, on-failure, on-failure:N or "
                + "unless-stopped",
        ])
    }

    static let portExpected = "a port such as \"8000\", \"8080:8000\", \"127.0.0.1:8080:8000\" or \"5060:5060/udp\", "
        + "or {target: 8000, published: 8080}"

    /// Compose refuses a depends_on on a service no file defines (ADR-010's file alone names db and redis).
    @Test func aDependencyOnAnUndefinedServiceIsAnError() {
        #expect(errors([("prod.yml", "services:\n  api:\n    image: x\n    depends_on: {db: {condition: service_healthy}}\n")])
            == ["prod.yml:4:18: services.api.depends_on.db: found \"db\", expected a service of the Compose files (api); "
                + "give the file that defines it with another --compose"])
    }

    @Test func syntaxErrorsAndUnreadableFiles() {
        #expect(errors([("a.yml", "services:\n  a: [\n")]).first?.hasPrefix("a.yml:3:1: found a YAML syntax error") == true)
        do {
            _ = try ComposeReader.load(paths: ["/nonexistent/compose.yaml"], variables: [:])
            Issue.record("expected an error")
        } catch {
            #expect("\(error)" == "/nonexistent/compose.yaml: found an error opening the file: No such file or directory, "
                        + "expected a readable Compose file")
        }
    }

    @Test func keysOutsideTheModelAreNoticedNotDropped() throws {
        let project = try parse([("a.yml", """
            services:
              a:
                image: x
                volumes: ["data:/data"]
                deploy: {placement: {constraints: [node.role==manager]}}
                x-note: ignored extension
            volumes:
              data:
            """)])
        #expect(project.service(named: "a")?.unexported.map(\.description) == [
            "a.yml:4:5: services.a.volumes", "a.yml:5:14: services.a.deploy.placement",
        ])
        #expect(project.notices.map(\.description) == [
            "a.yml:7:1: volumes: not exported: declare the cluster's volumes separately (PersistentVolumeClaims, "
                + "Secrets, ConfigMaps; a cluster network needs no declaration)",
        ])
    }
}
