import BatonFuzzing
import Glibc

exit(runLibFuzzer(fuzzFrames))
