import ArgumentParser
import Foundation
import SuperviseConfig
import SuperviseDaemon
import SuperviseExport

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write what supervise knows about its services in another system's terms.",
        subcommands: [ExportKubernetes.self])
}

struct ExportKubernetes: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubernetes",
        abstract: "Print Kubernetes manifests for the container services of a configuration.",
        discussion: """
            For each compose entry of the configuration (in file order), with the image, command, environment, \
            ports and resources of its Compose service: a Service (when Compose publishes ports), a Deployment \
            (probes, termination grace from the drain deadline, a preStop hook for an HTTP drain, the rollout's \
            max_surge), a PodDisruptionBudget (max_unavailable) and, with autoscale, a KEDA ScaledObject. Writes \
            multi-document YAML to standard output, and to standard error one line for everything that has no \
            Kubernetes counterpart or was changed on the way (process units, depends_on conditions, restart \
            policies, the start limit, …) with what to do instead. Compose variables (${VERSION:-latest}) are taken \
            from this command's environment. Needs no daemon. See docs/kubernetes.md. Exit codes: 0 written; \
            3 no such service; 64 bad command line; 78 invalid configuration or Compose file.
            """)

    @Option(name: .long, help: "Configuration file.")
    var config = "/etc/supervise/supervise.yaml"
    @Option(name: .long, parsing: .singleValue,
            help: "Compose file; repeat for several, merged in order as docker compose -f does (default: compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml here).")
    var compose: [String] = []
    @Option(name: .long, help: "Namespace of every object (default: none, so kubectl's current namespace).")
    var namespace: String?
    @Option(name: .long, parsing: .singleValue, help: "Export only this service (a Compose service or entry name); repeat for several.")
    var service: [String] = []

    static let defaultComposeFiles = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"]

    func validate() throws {
        if let namespace, ExportKubernetes.dnsLabel(namespace) != namespace || namespace.isEmpty {
            throw ValidationError("--namespace must be a DNS label: lowercase letters, digits and -, starting with a letter, at most 63 characters")
        }
    }

    func run() throws {
        var files = compose
        if files.isEmpty {
            guard let found = Self.defaultComposeFiles.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                throw ValidationError("no Compose file here (\(Self.defaultComposeFiles.joined(separator: ", "))): name one with --compose FILE")
            }
            files = [found]
        }
        let result: KubernetesExportResult
        do {
            result = try KubernetesExport.run(configPath: config, composePaths: files,
                                              variables: ProcessInfo.processInfo.environment,
                                              namespace: namespace, services: service)
        } catch let error as ExportError {
            FileHandle.standardError.write(Data("supervise: \(error)\n".utf8))
            if case .unknownService = error { throw ExitCode(ExitCodes.unknownUnit) }
            throw ExitCode(ExitCodes.configInvalid)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(ExitCodes.configInvalid)
        }
        FileHandle.standardOutput.write(Data(result.yaml.utf8))
        if !result.notices.isEmpty {
            FileHandle.standardError.write(Data(result.notices.map { "\($0)\n" }.joined().utf8))
        }
    }

    /// `text` as a Kubernetes namespace must be written, to compare.
    static func dnsLabel(_ text: String) -> String {
        let valid = text.count <= 63 && text.first.map { $0.isASCII && $0.isLowercase } == true
            && text.last.map { $0 != "-" } == true
            && text.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
        return valid ? text : ""
    }
}
