// swift-tools-version:6.0
import PackageDescription

// Trains a small network whose gradient backpropc generates at build time:
// BackpropPlugin compiles Sources/TrainNetwork/Network.bp to Swift.
let package = Package(
  name: "TrainNetwork",
  dependencies: [
    .package(name: "backpropc", path: "../..")
  ],
  targets: [
    .executableTarget(
      name: "TrainNetwork",
      plugins: [.plugin(name: "BackpropPlugin", package: "backpropc")]
    )
  ]
)
