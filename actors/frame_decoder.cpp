// frame_decoder: placeholder until the SAX decoder lands.
#include "actors/frame_decoder.hpp"
