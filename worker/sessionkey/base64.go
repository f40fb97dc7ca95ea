package sessionkey

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
)

// encodeBase64 is java.util.Base64's basic encoder (padded).
func encodeBase64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// decodeBase64 is java.util.Base64's basic decoder: padding optional,
// nothing but the alphabet allowed, and its messages for what it refuses
// (Connect answers them as the 400's message).
func decodeBase64(s string) ([]byte, error) {
	// Java reads the header value as ISO-8859-1 bytes.
	src := []byte(s)
	if len(src) == 0 {
		return []byte{}, nil
	}
	if len(src) < 2 {
		return nil, errors.New("Input byte[] should at least have 2 bytes for base64 bytes")
	}
	var out []byte
	bits, shift := 0, 18
	sp := 0
	for sp < len(src) {
		c := src[sp]
		sp++
		if c == '=' {
			if shift == 6 && (sp == len(src) || src[sp] != '=') || shift == 18 {
				return nil, errors.New("Input byte array has wrong 4-byte ending unit")
			}
			if shift == 6 {
				sp++
			}
			break
		}
		v := indexOf(c)
		if v < 0 {
			// Java prints the signed byte in hex.
			return nil, fmt.Errorf("Illegal base64 character %s", strconv.FormatInt(int64(int8(c)), 16))
		}
		bits |= v << shift
		shift -= 6
		if shift < 0 {
			out = append(out, byte(bits>>16), byte(bits>>8), byte(bits))
			bits, shift = 0, 18
		}
	}
	switch shift {
	case 6:
		out = append(out, byte(bits>>16))
	case 0:
		out = append(out, byte(bits>>16), byte(bits>>8))
	case 12:
		return nil, errors.New("Last unit does not have enough valid bits")
	}
	if sp < len(src) {
		return nil, fmt.Errorf("Input byte array has incorrect ending byte at %d", sp)
	}
	return out, nil
}

func indexOf(c byte) int {
	for i := range len(alphabet) {
		if alphabet[i] == c {
			return i
		}
	}
	return -1
}
