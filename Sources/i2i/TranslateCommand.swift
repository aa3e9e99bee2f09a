import ArgumentParser
import Data
import Foundation
import Models
import Tensors
import Training

/// `i2i translate`: a trained generator applied to every image of a folder; one PNG per input (same file stem) and
/// an `index.html` showing inputs and outputs side by side.
struct TranslateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "translate",
    abstract: "Translate a folder of images with a trained generator (--weights FILE or --checkpoint DIR).")

  @Option(name: .both("model"), help: ArgumentHelp("\(ModelCatalog.standard.names.joined(separator: ", ")) (with --weights)."))
  var model: String = ModelCatalog.standard.names[0]
  @Option(help: "A generator's safetensors file (net_G_A.safetensors, net_G.safetensors, …).") var weights: String?
  @Option(help: "A checkpoint or run directory: its options and generator are used.") var checkpoint: String?
  @Option(name: .both("direction"), help: "AtoB or BtoA (which generator of a two-way model).") var direction: String = "AtoB"
  @Option(help: "Folder of input images (label maps for ECGAN: class ids as gray values, as in training).") var input: String
  @Option(help: "Folder for the translated images (created).") var output: String
  @Option(help: "Folder of instance maps, paired with --input by file name (models trained with instance maps).")
  var instances: String?
  @Flag(help: "Also write the model's other outputs, as <stem>_<name>.png (ECGAN: image1, the image branch I′, and edge, I′_e).")
  var allOutputs = false
  @Option(name: .both("threads")) var threads: Int = 0
  @Option(name: .both("preprocess"), help: ArgumentHelp("""
    none (default): translate each input at its own size. auto: show the generator objects at the scale its \
    training crops showed them: for a run trained with resize_and_crop at --load-size L > --crop-size C (with scale \
    augmentation to its last epoch), resize each input by L/C, translate, and resize the output back. \
    resize_and_crop: the reference test.py, resize to L×L and take the centre C×C. Why none: measured with \
    `i2i eval score` on CycleGANs trained at L 36 / C 32 (BENCHMARKS.md, 2 seeds), none gave KID×10³ 551 and 288 \
    against 1936 and 1563 for auto, with the same share judged boots (0.99, 0.98).
    """, valueName: "none|auto|resize_and_crop")) var preprocess: String = "none"
  /// With --weights: the model's options that shape the generator (`--netG resnet_6blocks --ngf 32`), as for
  /// `i2i train --model NAME`.
  @Argument(parsing: .allUnrecognized, help: .hidden) var modelArguments: [String] = []

  func run() throws {
    do { try translateFolder() } catch let error as ExitCode { throw error } catch {
      FileHandle.standardError.write(Data("i2i translate: error: \(ErrorText.describe(error))\n".utf8))
      throw ExitCode(1)
    }
  }

  private func translateFolder() throws {
    if threads > 0 { ComputeThreads.set(threads) }
    let direction = try Direction.parse(self.direction, option: "--direction")
    let (options, checkpointDirectory) = try resolveModel()
    // Only the generator: no discriminator, F or optimiser is built.
    guard let translator = try options.makeTranslator(direction: direction) else {
      throw ValidationError("--direction: \(options.model) does not translate \(direction.rawValue)")
    }
    let weightsURL = try loadNetworks(of: translator, checkpointDirectory: checkpointDirectory)

    let primary = translator.inputs[0]
    if case .labelMap = primary.kind { return try translateLabelMaps(translator, options: options, weights: weightsURL) }
    guard case .image(let inC) = primary.kind else {
      throw ValidationError("--input: \(options.model) translates from \(primary), which i2i translate cannot read yet")
    }
    let scaling = try InputScaling(preprocess, training: options,
                                   modelDecaysAtCropSize: options.descriptor.dataPolicy.loadsAtCropSizeWhileDecaying,
                                   fromCheckpoint: checkpointDirectory != nil)
    print("translate: \(scaling.summary)")
    let images = try SingleDataset(folder: input, kind: .image(channels: inC),
                                   transform: TransformOptions(preprocess: .none, flip: false))
    let out = try outputFolder()
    var rows: [(input: String, output: String)] = []
    for i in 0..<images.count {
      let field = try images.sample(SampleSlot(epoch: 0, position: i, index: i), seed: 0).fields["A"]!
      let prepared = try scaling.input(field.image, path: field.path)
      let x = prepared.tensor().reshape([1, inC, prepared.height, prepared.width])
      let outputs = try namedOutputs(translator, TranslationInput(image: x), path: field.path)
        .map { ($0.name, scaling.output($0.image, original: field.image)) }
      rows.append((field.path, try write(outputs, for: field.path, channels: translator.outputChannels, in: out)))
    }
    try writeIndex(rows, to: out, title: "\(options.model) \(direction.rawValue): \(weightsURL.path)")
    print("translated \(rows.count) images from \(input) into \(out.path) (index.html shows them)")
  }

  /// Label maps (and instance maps) in, images out, each at its own size: ids are not resized.
  private func translateLabelMaps(_ translator: any Translator, options: TrainingOptions, weights: URL) throws {
    guard preprocess == "none" else {
      throw ValidationError("--preprocess \(preprocess): \(options.model) translates label maps at their own size (none)")
    }
    let needsInstances = translator.inputs.contains { $0.kind == .instanceMap }
    if needsInstances && instances == nil {
      throw ValidationError("--instances: this \(options.model) was trained with instance maps; give their folder")
    }
    let labels = try ImageFolder.list(input)
    let instanceOf = try instances.map { folder in
      Dictionary(try AlignedDataset.match(folderA: input, folderB: folder).map { ($0.a, $0.b!) }, uniquingKeysWith: { a, _ in a })
    }
    let out = try outputFolder()
    var rows: [(input: String, output: String)] = []
    for path in labels {
      var batch = TranslationInput(label: try Self.idTensor(path))
      if needsInstances, let instancePath = instanceOf?[path] { batch.instance = try Self.idTensor(instancePath) }
      let outputs = try namedOutputs(translator, batch, path: path)
      rows.append((path, try write(outputs, for: path, channels: translator.outputChannels, in: out)))
    }
    try writeIndex(rows, to: out, title: "\(options.model): \(weights.path)")
    print("translated \(rows.count) label maps from \(input) into \(out.path) (index.html shows them)")
  }

  /// The ids of a label or instance map file as (1, 1, H, W).
  static func idTensor(_ path: String) throws -> Tensor {
    let map = try ImageFile.loadIds(path)
    return Tensor(map.ids.map(Float.init), [1, 1, map.height, map.width])
  }

  /// The translator's outputs for one input, the main one first (named ""), the others only with --all-outputs;
  /// an error names the input file.
  private func namedOutputs(_ translator: any Translator, _ batch: TranslationInput, path: String) throws
    -> [(name: String, image: Tensor)] {
    do {
      let outputs = try translator.outputs(batch)
      return allOutputs ? outputs : [outputs[0]]
    } catch { throw ValidationError("\(path): \(ErrorText.describe(error))") }
  }

  /// Writes `<stem>.png` (and `<stem>_<name>.png` for the other outputs); returns the main file's name.
  private func write(_ outputs: [(name: String, image: Tensor)], for path: String, channels: Int, in out: URL) throws -> String {
    let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    for (name, y) in outputs {
      precondition(y.shape[1] == channels || !name.isEmpty, "the generator made \(y.shape[1]) channels, expected \(channels)")
      let file = out.appendingPathComponent(stem + (name.isEmpty ? "" : "_" + name) + ".png")
      try ImageFile.writePNG(Image(tensor: y), to: file.path)
    }
    return stem + ".png"
  }

  /// --output, created, refused inside --input.
  private func outputFolder() throws -> URL {
    let out = URL(fileURLWithPath: output)
    try refuseOutputInsideInput(out)
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    return out
  }

  /// Loads the translator's networks from the checkpoint (net_<name>.safetensors, verified with train_opt.json and
  /// nothing else: a corrupt discriminator or optimiser file does not matter here) or from --weights (one network);
  /// returns the file of the generator, for the index page's title.
  private func loadNetworks(of translator: any Translator, checkpointDirectory: URL?) throws -> URL {
    let files = translator.networks.map { name, module in
      (module, checkpointDirectory?.appendingPathComponent("net_\(name).safetensors") ?? URL(fileURLWithPath: weights!))
    }
    if let checkpointDirectory {
      let needed = ["train_opt.json"] + files.map(\.1.lastPathComponent)
      _ = try CheckpointStore.verify(checkpointDirectory, only: Set(needed))
    } else if files.count != 1 {
      throw ValidationError("--weights: a file holds one network, and this model translates with "
                              + "\(translator.networks.map(\.name).joined(separator: ", ")); give --checkpoint DIR")
    }
    for (network, url) in files {
      do { try network.load(from: url) } catch { throw ValidationError("\(url.path): \(error)") }
    }
    return files[0].1
  }

  /// The training options, from --checkpoint (and its verified directory) or from --weights and the flags.
  private func resolveModel() throws -> (TrainingOptions, URL?) {
    if let checkpoint {
      guard modelArguments.isEmpty else {
        throw ValidationError("\(modelArguments[0]): the model's options come from the checkpoint's train_opt.json; give them only with --weights")
      }
      guard weights == nil else { throw ValidationError("give either --weights or --checkpoint, not both") }
      let dir = try InspectCommand.resolve(checkpoint)
      let saved = dir.appendingPathComponent("train_opt.json")
      let options: TrainingOptions
      do { options = try JSONDecoder().decode(TrainingOptions.self, from: Data(contentsOf: saved)) } catch {
        throw ValidationError("\(saved.path): cannot read the training options (\(error))")
      }
      return (options, dir)
    }
    guard weights != nil else { throw ValidationError("give --weights FILE.safetensors or --checkpoint DIR") }
    var o = try TrainingOptions(model: model)
    try o.setModelArguments(modelArguments)
    return (o, nil)
  }

  /// The outputs keep the inputs' file stems, so an output folder that is (or lies inside) the input folder would
  /// overwrite the originals, or be read back as inputs. Paths are compared with symbolic links resolved.
  private func refuseOutputInsideInput(_ out: URL) throws {
    let source = URL(fileURLWithPath: input).resolvingSymlinksInPath().standardizedFileURL.pathComponents
    var target = out.standardizedFileURL
    var missing: [String] = []  // resolve the part that exists, then add back what is still to be created
    while !FileManager.default.fileExists(atPath: target.path) && target.pathComponents.count > 1 {
      missing.insert(target.lastPathComponent, at: 0)
      target.deleteLastPathComponent()
    }
    let resolved = target.resolvingSymlinksInPath().pathComponents + missing
    if resolved.starts(with: source) {
      throw ValidationError("--output \(output) is \(resolved.count == source.count ? "the input folder" : "inside the input folder \(input)"): the translations would overwrite or mix with the originals; choose another folder")
    }
  }

  private func writeIndex(_ rows: [(input: String, output: String)], to folder: URL, title: String) throws {
    var html = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>translations</title><style>"
      + "img{image-rendering:pixelated;width:160px} td{text-align:center;font:12px sans-serif}</style></head><body>"
      + "<h1>\(title)</h1><table><tr><th>input</th><th>output</th></tr>\n"
    for r in rows {
      let inputURL = URL(fileURLWithPath: r.input).standardizedFileURL.absoluteString
      html += "<tr><td><img src=\"\(inputURL)\"><br>\(URL(fileURLWithPath: r.input).lastPathComponent)</td>"
        + "<td><img src=\"\(r.output)\"><br>\(r.output)</td></tr>\n"
    }
    html += "</table></body></html>\n"
    try DurableFiles.replace(folder.appendingPathComponent("index.html"), with: Data(html.utf8))
  }
}
