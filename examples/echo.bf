Echo: outputs its input up to the first zero byte
,[.,]
