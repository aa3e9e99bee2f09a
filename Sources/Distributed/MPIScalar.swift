import CMPI

/// Element types that cross MPI, with their MPI datatype.
public protocol MPIScalar { static var mpiType: MPI_Datatype! { get } }
extension Float: MPIScalar { public static var mpiType: MPI_Datatype! { cmpi_float() } }
extension Double: MPIScalar { public static var mpiType: MPI_Datatype! { cmpi_double() } }
extension Int64: MPIScalar { public static var mpiType: MPI_Datatype! { cmpi_int64() } }
extension UInt64: MPIScalar { public static var mpiType: MPI_Datatype! { cmpi_uint64() } }
extension UInt8: MPIScalar { public static var mpiType: MPI_Datatype! { cmpi_byte() } }

/// The reductions of `allReduce`.
public enum ReduceOp {
  case sum, max, min
  var mpi: MPI_Op! {
    switch self {
    case .sum: return cmpi_sum()
    case .max: return cmpi_max()
    case .min: return cmpi_min()
    }
  }
}

/// A failed MPI call or a launch problem, naming the call.
public struct MPIError: Error, CustomStringConvertible {
  public let call: String
  public let code: Int32
  public let message: String
  public var description: String { code == 0 ? "\(call): \(message)" : "\(call) failed (MPI error \(code)): \(message)" }

  /// Throws unless `code` is MPI_SUCCESS.
  static func check(_ code: Int32, _ call: @autoclosure () -> String) throws {
    guard code != MPI_SUCCESS else { return }
    var buffer = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
    var length: Int32 = 0
    MPI_Error_string(code, &buffer, &length)
    let text = buffer.withUnsafeBufferPointer { p in
      String(decoding: p.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    throw MPIError(call: call(), code: code, message: text)
  }
}
