// remote-ingest-bench: transitions per second into a learner's memory through the collection
// service (scripts/bench-remote-ingest.sh runs a server and two senders). Needs --traits Remote.
//   remote-ingest-bench serve PORT SECONDS     prints one rate per second, then the median
//   remote-ingest-bench send HOST:PORT [BATCH] [WINDOW]
#if Remote
import Foundation
import Remote

let arguments = CommandLine.arguments
do {
    switch arguments.count > 1 ? arguments[1] : "" {
    case "serve" where arguments.count == 4:
        let rates = try IngestBenchmark.serve(port: Int(arguments[2])!, seconds: Int(arguments[3])!) { print($0); fflush(nil) }
        let sorted = rates.sorted()
        print(String(format: "median %.0f transitions/s over %d s (min %.0f, max %.0f)", sorted[sorted.count / 2], rates.count, sorted.first!, sorted.last!))
    case "send" where arguments.count >= 3:
        try IngestBenchmark.send(learner: arguments[2], batchTransitions: arguments.count > 3 ? Int(arguments[3])! : 1024,
                                 window: arguments.count > 4 ? Int(arguments[4])! : 8)
    default:
        FileHandle.standardError.write(Data("usage: remote-ingest-bench serve PORT SECONDS | send HOST:PORT [BATCH] [WINDOW]\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("remote-ingest-bench: \(error)\n".utf8))
    exit(1)
}
#else
print("remote-ingest-bench needs the Remote trait: swift build -c release --traits Remote --product remote-ingest-bench")
#endif
