import BatonFuzzing
import Glibc

exit(runLibFuzzer(fuzzCodec))
