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
    if let samplingStrategy, !["DAG", "random"].contains(samplingStrategy) {
      throw ValidationError("--sampling-strategy: unknown value '\(samplingStrategy)' (expected DAG, random)")
    }
    if samplingStrategy == "random", let randomRatio, randomRatio != 1 {
      throw ValidationError("--sampling-strategy random draws every patch at random; it conflicts with --random-ratio \(randomRatio)")
    }
    if twoF?.value == true { throw ValidationError("--two-F true: the official EnCo code sets two_F = False whatever is given (models/enco_model.py); i2i keeps one F") }
    if stopGradient?.value == false { throw ValidationError("--stop-gradient false is not supported: the encoder branch is always detached, as in the official code's default") }
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
  @Option(name: .both("enco-loss"), help: "byol (the official code's and v3's 2 − 2·cos; default) or nce (the v1 paper's contrastive variant).") var encoLoss: String?
  @Option(name: .both("stop-idt-epochs"), help: "EnCo: the last epoch with the identity branch; -1 (default): n_epochs; 0: none.") var stopIdtEpochs: Int?
  @Option(name: .both("decay-idt"), help: "EnCo: scale lambda_IDT by (total − epoch)/total epochs.") var decayIdt: BoolValue?
  @Option(name: .both("sampling-strategy"), help: "EnCo: DAG (hard patches by D's map plus --random-ratio random ones) or random (every patch random, the paper's ablation; the official code parses this option but always runs DAG, where --random-ratio 1 is the same).") var samplingStrategy: String?
  @Option(name: .both("two-F"), help: "EnCo: separate heads for the encoder branch; the official code forces it off, and so does i2i (only false is accepted).") var twoF: BoolValue?
  @Option(name: .both("stop-gradient"), help: "EnCo: no gradient through the encoder branch (the official default; only true is accepted).") var stopGradient: BoolValue?
  @Option(name: .both("prj-norm"), help: "BN, LN or None.") var prjNorm: String?
  @Option(name: .both("oversample-ratio")) var oversampleRatio: Int?
  @Option(name: .both("random-ratio")) var randomRatio: Float?
  @Flag(name: .both("no-predictor"), help: "EnCo byol: no prediction head on the decoder branch (nce never has one, as in the v1 code).") var noPredictor = false

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
    if let decayIdt { o.decayIdt = decayIdt.value }
    if samplingStrategy == "random" { o.randomRatio = 1 }
    if noPredictor { o.noPredictor = true }
  }
}
