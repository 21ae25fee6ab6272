// swift-tools-version:6.0
import PackageDescription

// No package dependencies, by design: backpropc must build wherever the Swift
// toolchain does.
let package = Package(
  name: "backpropc",
  products: [
    .library(name: "BackpropCore", targets: ["BackpropCore"]),
    .executable(name: "backpropc", targets: ["backpropc"]),
    .plugin(name: "BackpropPlugin", targets: ["BackpropPlugin"]),
  ],
  targets: [
    .target(name: "BackpropCore"),
    .executableTarget(name: "backpropc", dependencies: ["BackpropCore"]),
    // Scripts/bench.sh's in-process measurements: compiler phases, interpreter.
    .executableTarget(name: "backpropc-bench", dependencies: ["BackpropCore"]),
    // Compiles the .bp files of a target that uses it; see Examples/SwiftPackage.
    .plugin(name: "BackpropPlugin", capability: .buildTool(), dependencies: ["backpropc"]),
    .testTarget(
      name: "BackpropCoreTests",
      dependencies: ["BackpropCore", "backpropc"],
      exclude: ["Golden", "Errors"]
    ),
  ]
)
