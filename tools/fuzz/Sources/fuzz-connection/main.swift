import BatonFuzzing
import Glibc

exit(runLibFuzzer(fuzzConnection))
