import ArgumentParser
import Training

/// CUT, FastCUT and EnCo options (spec §3.9, §4.8), with the reference spellings accepted.
struct ContrastiveArguments: ParsableArguments {
  @Option(name: .both("lambda-GAN")) var lambdaGAN: Float?
  @Option(name: .both("lambda-NCE")) var lambdaNCE: Float?
  @Option(name: .both("nce-idt"), help: "Identity PatchNCE on B (CUT: true, FastCUT: false).") var nceIdt: BoolValue?
  @Option(name: .both("nce-layers"), help: "Generator layer indices for the contrastive loss.") var nceLayers: String?
  @Option(name: .both("netF"), help: "mlp_sample (CUT) or mlp_sample_with_DAG (EnCo).") var netF: String?
  @Option(name: .both("netF-nc")) var netFNC: Int?
  @Option(name: .both("nce-T")) var nceT: Float?
  @Option(name: .both("num-patches")) var numPatches: Int?
  @Option(name: .both("flip-equivariance")) var flipEquivariance: BoolValue?
  @Option(name: .both("negatives"), help: "image (reference), batch (local batch) or global (every rank's batch).") var negatives: String?
  @Flag(name: .both("nce-includes-all-negatives-from-minibatch"), help: "Same as --negatives batch.") var allNegativesFromMinibatch = false

  func validate() throws {
    if allNegativesFromMinibatch, let negatives, negatives != "batch" {
      throw ValidationError("--nce-includes-all-negatives-from-minibatch means --negatives batch; it conflicts with --negatives \(negatives)")
    }
  }
  @Flag(name: .both("no-antialias")) var noAntialias = false
  @Flag(name: .both("no-antialias-up")) var noAntialiasUp = false
  @Option(name: .both("lambda-IDT")) var lambdaIDT: Float?
  @Option(name: .both("lr-G")) var lrG: Float?
  @Option(name: .both("lr-D")) var lrD: Float?
  @Option(name: .both("lr-F")) var lrF: Float?
  @Option(name: .both("enco-loss"), help: "nce (EnCo v1 contrastive) or byol (the official code's 2 − 2·cos).") var encoLoss: String?
  @Option(name: .both("stop-idt-epochs")) var stopIdtEpochs: Int?
  @Option(name: .both("prj-norm"), help: "BN, LN or None.") var prjNorm: String?
  @Option(name: .both("oversample-ratio")) var oversampleRatio: Int?
  @Option(name: .both("random-ratio")) var randomRatio: Float?
  @Flag(name: .both("no-predictor")) var noPredictor = false

  func apply(to o: inout TrainingOptions) {
    set(&o.lambdaGAN, lambdaGAN); set(&o.lambdaNCE, lambdaNCE); set(&o.nceIdt, nceIdt?.value)
    set(&o.nceLayers, nceLayers); set(&o.netF, netF); set(&o.netFNC, netFNC); set(&o.nceT, nceT)
    set(&o.numPatches, numPatches); set(&o.flipEquivariance, flipEquivariance?.value)
    if allNegativesFromMinibatch { o.negatives = "batch" }
    set(&o.negatives, negatives)
    if noAntialias { o.noAntialias = true }
    if noAntialiasUp { o.noAntialiasUp = true }
    set(&o.lambdaIDT, lambdaIDT); set(&o.lrG, lrG); set(&o.lrD, lrD); set(&o.lrF, lrF); set(&o.encoLoss, encoLoss)
    set(&o.stopIdtEpochs, stopIdtEpochs); set(&o.prjNorm, prjNorm); set(&o.oversampleRatio, oversampleRatio)
    set(&o.randomRatio, randomRatio)
    if noPredictor { o.noPredictor = true }
  }
}
