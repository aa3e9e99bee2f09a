import Distributed
import NN
import Tensors

enum StateChecks {
  static func run(_ checks: inout MultiRankChecks, _ context: MPIReplicaContext) {
    let rank = context.rank
    checks.check("module and lazily created optimiser state are broadcast from rank 0") {
      var rng = RandomStream(seed: 50 + UInt64(rank))  // every rank starts different
      let net = Sequential([Conv2d(3, 4, kernel: 3, padding: 1), ReLU(), Conv2d(4, 2, kernel: 1)])
      net.initWeights(.normal, gain: 0.02, rng: &rng)
      let adam = Adam(groups: [ParameterGroup(net.parameters(), lr: 2e-4, betas: (0.5, 0.999))])
      if rank == 0 {  // only rank 0 has stepped, so only it holds optimiser state
        let x = Tensor.randn([1, 3, 5, 5], &rng)
        try (net(x) * net(x)).mean().backward()
        adam.step()
      }
      try context.broadcastFromRoot(net)
      try context.broadcastFromRoot(adam)
      try context.checkReplicasAgree(net.stateDict().map { ($0.name, $0.tensor) })
      let state = adam.stateDict()
      guard state.count == 3 * net.parameters().count else { return "optimiser state has \(state.count) tensors" }
      try context.checkReplicasAgree(state.map { ($0.name, $0.tensor) })
      return nil
    }
  }
}
