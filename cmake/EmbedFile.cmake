# sextant_embed_file(INPUT OUTPUT SYMBOL) writes OUTPUT, a C++ source that defines
#   extern const char SYMBOL[];           the bytes of INPUT followed by a zero
#   extern const unsigned long SYMBOL_size; their count, without the zero
function(sextant_embed_file input output symbol)
    file(READ ${input} hex HEX)
    string(LENGTH "${hex}" n_hex)
    math(EXPR n_bytes "${n_hex} / 2")
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
    string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)"
           "\\1\n" bytes "${bytes}")
    set(text "// Generated from ${input}; do not edit.\n")
    string(APPEND text "extern const char ${symbol}[];\nextern const unsigned long ${symbol}_size;\n")
    string(APPEND text "const char ${symbol}[] = {\n${bytes}0x00};\n")
    string(APPEND text "const unsigned long ${symbol}_size = ${n_bytes};\n")
    file(WRITE ${output}.tmp "${text}")
    file(COPY_FILE ${output}.tmp ${output} ONLY_IF_DIFFERENT)
    file(REMOVE ${output}.tmp)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${input})
endfunction()
