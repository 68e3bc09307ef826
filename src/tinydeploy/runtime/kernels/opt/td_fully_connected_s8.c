#include "../td_fully_connected_s8.c"
