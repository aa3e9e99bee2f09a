import Foundation
import Distributed
import Tensors

// i2i-mpi-tests: the multi-rank tests, run by scripts/mpi-tests.sh under mpirun with 2 and 3 ranks.
//   i2i-mpi-tests            all equivalence checks; prints "<n> passed, <m> failed" on rank 0
//   i2i-mpi-tests checksum   trains a few steps and prints the parameter checksum (two runs must agree)
//   i2i-mpi-tests kill       rank 1 exits during an all-reduce (mpirun must fail promptly)

let comm: Communicator
do { comm = try Communicator.world() } catch { FileHandle.standardError.write(Data("\(error)\n".utf8)); exit(2) }
ComputeThreads.set(1)
let context = MPIReplicaContext(comm, bucketCapBytes: 256)  // tiny buckets: several per group
let mode = CommandLine.arguments.dropFirst().first ?? "all"

switch mode {
case "kill":
  if comm.rank == 1 { usleep(200_000); kill(getpid(), SIGKILL) }  // a crash, not an orderly exit
  var big = [Float](repeating: 1, count: 1 << 20)
  for _ in 0..<100_000 { try comm.allReduce(&big, .sum) }  // never finishes: rank 1 is gone
  print("unreachable: all-reduce returned after a rank died")
  exit(0)
case "checksum":
  print(try SmallModelTraining.checksumAfterTraining(context: context, steps: 4))
  exit(0)
default:
  var checks = MultiRankChecks(comm: comm)
  CollectiveChecks.run(&checks, comm)
  GradientChecks.run(&checks, context)
  AllGatherChecks.run(&checks, context)
  StateChecks.run(&checks, context)
  PatchNCEChecks.run(&checks, context)
  EnCoChecks.run(&checks, context)
  PixelContrastChecks.run(&checks, context)
  ECGANChecks.run(&checks, context)
  if comm.isRoot { print("\(checks.passed) passed, \(checks.failed) failed") }
  exit(checks.failed == 0 ? 0 : 1)
}
