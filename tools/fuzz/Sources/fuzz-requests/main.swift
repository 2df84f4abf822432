import BatonFuzzing
import Glibc

exit(runLibFuzzer(fuzzRequests))
