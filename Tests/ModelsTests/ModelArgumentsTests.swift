import NN
import XCTest
@testable import Models

/// Model options from the command line through the descriptors: defaults per name, both spellings, booleans,
/// aliases, settled defaults, errors naming the option, and `train_opt.json`'s flat round trip.
final class ModelArgumentsTests: XCTestCase {
  func parse<D: ModelDescriptor>(_ d: D.Type, _ name: String, _ arguments: [String]) throws -> D.Options {
    guard let o = try d.parseOptions(arguments, name: name) as? D.Options else { throw OptionError("test", "wrong type") }
    return o
  }

  func assertError(_ body: @autoclosure () throws -> Any, contains parts: [String], file: StaticString = #filePath,
                   line: UInt = #line) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
      for part in parts { XCTAssertTrue("\(error)".contains(part), "'\(error)' lacks '\(part)'", file: file, line: line) }
    }
  }

  func testDefaultsDependOnTheName() throws {
    let cut = try parse(CUTDescriptor.self, "cut", []), fast = try parse(CUTDescriptor.self, "fastcut", [])
    XCTAssertEqual([cut.lambdaNCE, fast.lambdaNCE], [1, 10])
    XCTAssertEqual([cut.nceIdt, fast.nceIdt, cut.flipEquivariance, fast.flipEquivariance], [true, false, false, true])
    XCTAssertEqual(cut.initType, .xavier)
    XCTAssertEqual(try parse(CycleGANDescriptor.self, "cyclegan", []).initType, .normal)
    XCTAssertEqual(CUTDescriptor.schedule(for: "fastcut").nEpochs, 150)
    XCTAssertEqual(EnCoDescriptor.schedule(for: "enco").warmupEpochs, 20)
  }

  func testKebabAndReferenceSpellingsNumbersListsAndEnums() throws {
    let o = try parse(CUTDescriptor.self, "cut", ["--lambda_NCE", "5", "--netG", "resnet_6blocks", "--nce-layers",
                                                  "0, 4,8", "--netF-nc=64", "--init_gain", "0.5", "--no-antialias"])
    XCTAssertEqual(o.lambdaNCE, 5)
    XCTAssertEqual(o.netG, .resnet6Blocks)
    XCTAssertEqual(o.nceLayers, [0, 4, 8])
    XCTAssertEqual(o.netFNC, 64)
    XCTAssertEqual(o.initGain, 0.5)
    XCTAssertTrue(o.noAntialias)
    XCTAssertFalse(o.noAntialiasUp)
  }

  func testBooleansAloneOrWithAValue() throws {
    XCTAssertFalse(try parse(CUTDescriptor.self, "cut", ["--nce-idt", "false"]).nceIdt)
    XCTAssertFalse(try parse(CUTDescriptor.self, "cut", ["--nce_idt=False"]).nceIdt)
    XCTAssertTrue(try parse(CUTDescriptor.self, "fastcut", ["--nce-idt"]).nceIdt)
    // A flag alone before another option: the next token is not taken as its value.
    let o = try parse(CUTDescriptor.self, "cut", ["--flip-equivariance", "--ngf", "8"])
    XCTAssertTrue(o.flipEquivariance)
    XCTAssertEqual(o.ngf, 8)
  }

  func testAliasesAndNegativeNumbers() throws {
    XCTAssertFalse(try parse(CycleGANDescriptor.self, "cyclegan", ["--dropout"]).noDropout)
    XCTAssertTrue(try parse(CycleGANDescriptor.self, "cyclegan", []).noDropout)
    XCTAssertEqual(try parse(CUTDescriptor.self, "cut", ["--nce_includes_all_negatives_from_minibatch"]).negatives, .batch)
    XCTAssertEqual(try parse(EnCoDescriptor.self, "enco", ["--stop-idt-epochs", "-1"]).stopIdtEpochs, -1)
    // A repeated option takes its last value (argparse's rule, which scripts that append options rely on).
    XCTAssertEqual(try parse(CUTDescriptor.self, "cut", ["--ngf", "8", "--ngf", "16"]).ngf, 16)
    assertError(try parse(CUTDescriptor.self, "cut", ["--nce-includes-all-negatives-from-minibatch", "--negatives", "image"]),
                contains: ["--negatives image conflicts with --nce-includes-all-negatives-from-minibatch batch"])
    assertError(try parse(CUTDescriptor.self, "cut", ["--negatives", "global", "--nce-includes-all-negatives-from-minibatch"]),
                contains: ["--negatives", "global", "batch"])
  }

  func testSettledDefaults() throws {
    XCTAssertEqual(try parse(EnCoDescriptor.self, "enco", ["--netG", "resnet_6blocks"]).nceLayers, [3, 7, 13, 15, 21, 25])
    XCTAssertEqual(try parse(EnCoDescriptor.self, "enco", []).nceLayers, [3, 7, 13, 18, 24, 28])
    XCTAssertEqual(try parse(EnCoDescriptor.self, "enco", ["--netG", "resnet_6blocks", "--nce-layers", "3,7"]).nceLayers, [3, 7])
    XCTAssertEqual(try parse(EnCoDescriptor.self, "enco", ["--sampling-strategy", "random"]).randomRatio, 1)
    let conflicting = try parse(EnCoDescriptor.self, "enco", ["--sampling-strategy", "random", "--random-ratio", "0.5"])
    assertError(try conflicting.validate(), contains: ["--sampling-strategy", "--random-ratio"])
  }

  func testErrorsNameTheOption() {
    assertError(try parse(CycleGANDescriptor.self, "cyclegan", ["--num-patches", "64"]),
                contains: ["--num-patches", "not an option of cyclegan", "--help"])
    assertError(try parse(CUTDescriptor.self, "cut", ["--netG", "unet_256"]), contains: ["--netG", "unet_256", "resnet_9blocks"])
    assertError(try parse(CUTDescriptor.self, "cut", ["--ngf", "abc"]), contains: ["--ngf", "abc"])
    assertError(try parse(CUTDescriptor.self, "cut", ["--ngf", "2.5"]), contains: ["--ngf", "2.5", "not a valid value"])
    assertError(try parse(CUTDescriptor.self, "cut", ["--ngf"]), contains: ["--ngf", "needs a value"])
    assertError(try parse(CUTDescriptor.self, "cut", ["--nce-idt", "maybe"]), contains: ["maybe", "unexpected"])
    assertError(try parse(CUTDescriptor.self, "cut", ["--nce-layers", "0,,4"]), contains: ["--nce-layers", "0,,4"])
    assertError(try parse(CUTDescriptor.self, "cut", ["stray"]), contains: ["stray"])
    assertError(try parse(EnCoDescriptor.self, "enco", ["--two-F", "true"]).validate(), contains: ["--two-F"])
    assertError(try parse(CUTDescriptor.self, "cut", ["--beta1", "1"]).validate(), contains: ["--beta1"])
    assertError(try CUTDescriptor.checkInputSize(CUTOptions(), cropSize: 18, cropped: true), contains: ["--crop-size", "24"])
    XCTAssertNoThrow(try CUTDescriptor.checkInputSize(CUTOptions(), cropSize: 18, cropped: false))
  }

  /// `train_opt.json` holds the options flat; reading them back gives the same options, and the run's seed is not
  /// among them (it is the trainer's `--seed`).
  func testFlatJSONRoundTrip() throws {
    let o = try parse(EnCoDescriptor.self, "enco", ["--netG", "resnet_6blocks", "--enco-loss", "nce", "--lr-G", "1e-4"])
    let flat = try OptionValues.flatten(o)
    XCTAssertNil(flat["seed"])
    XCTAssertNil(flat["totalEpochs"])
    XCTAssertEqual(flat["encoLoss"], .string("nce"))
    XCTAssertEqual(flat["netG"], .string("resnet_6blocks"))
    let back = try EnCoDescriptor.decodeOptions(flat, name: "enco") as! EnCoOptions
    XCTAssertEqual(try OptionValues.flatten(back), flat)
    assertError(try EnCoDescriptor.decodeOptions(["ngf": .string("x")], name: "enco"), contains: ["--ngf"])
    // train_opt.json from before typed options held lists as text.
    let old = try EnCoDescriptor.decodeOptions(["nceLayers": .string("3,7,13,15,21,25")], name: "enco") as! EnCoOptions
    XCTAssertEqual(old.nceLayers, [3, 7, 13, 15, 21, 25])
  }

  func testHelpShowsEachOptionWithItsDefault() {
    let help = CUTDescriptor.helpText(for: "fastcut")
    XCTAssertTrue(help.contains("--lambda-NCE [10]"), help)
    XCTAssertTrue(help.contains("--nce-idt [false]"), help)
    XCTAssertTrue(help.contains("--nce-layers [0,4,8,12,16]"), help)
    XCTAssertTrue(help.contains("{resnet_9blocks, resnet_6blocks}"), help)
    XCTAssertTrue(help.contains("--dropout"), help)
    for h in CUTOptions.optionHelp { XCTAssertTrue(help.contains("--\(h.flag) ["), h.flag) }
  }
}
