import Foundation
import Testing

/// nginx from Debian's package as a supervise process unit: a master and `worker_processes 2`
/// workers, in the foreground (`daemon off;`), with a private prefix, pid file, temp paths and
/// config in a directory of the test, listening on 127.0.0.1:PORT only.
///
/// Every answer names the worker that served it (`worker PID`), so a test can tell a worker of
/// the current master from an orphan of a killed one.
struct NginxFixture {
    static let binary = "/usr/sbin/nginx"

    let directory: String
    let port: Int
    let configPath: String

    init(in run: RealDaemonRun, port: Int = freeLoopbackPort()) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw FixtureMissing(what: "nginx (\(Self.binary))", package: "nginx")
        }
        directory = run.subdirectory("nginx").path
        self.port = port
        configPath = directory + "/nginx.conf"
        // Temp paths are made by the master at start and handed to the workers' user (nobody).
        let config = """
            worker_processes 2;
            pid \(directory)/nginx.pid;
            error_log stderr notice;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path \(directory)/client_body;
                proxy_temp_path \(directory)/proxy;
                fastcgi_temp_path \(directory)/fastcgi;
                uwsgi_temp_path \(directory)/uwsgi;
                scgi_temp_path \(directory)/scgi;
                server {
                    listen 127.0.0.1:\(port);
                    location / { return 200 "worker $pid\\n"; }
                }
            }

            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// The `units:` entry (indented for a top-level `units:` mapping).
    func unit(_ name: String = "nginx") -> String {
        """
          \(name):
            command: \(yamlList([Self.binary, "-p", directory + "/", "-e", "stderr", "-c", configPath, "-g", "daemon off;"]))
            restart: always
            stop_timeout: 3s
            liveness:
              http: "http://127.0.0.1:\(port)/"
              interval: 200ms
              timeout: 1s
              failure_threshold: 3

        """
    }

    /// The pid of the worker that answered `GET /`, nil when nothing answered 200.
    func servingWorker(timeout: Double = 1) -> Int32? {
        guard let answer = httpRequest("GET", port: port, path: "/", timeout: timeout), answer.status == 200 else { return nil }
        let text = answer.body.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("worker ") else { return nil }
        return Int32(text.dropFirst("worker ".count))
    }

    /// The live workers of `master` (nginx's workers are its direct children).
    static func workers(of master: Int32) -> [Int32] { ProcFS.liveChildren(of: master) }
}
