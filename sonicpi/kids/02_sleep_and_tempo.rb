# Lesson 2: Sleep and tempo
#
# Every line of the song is made of syllables: "but-ter-fly" has three.
# Now we play one note for EVERY syllable.
# `sleep` means "wait before the next note". sleep 1 waits one beat.
# The tempo (bpm, beats per minute) says how fast the beats go.
# The bridge sends the song's tempo with every line, and we use it.
# If a new line comes while we are still playing, we miss it. That's OK!

live_loop :steps do
  use_real_time
  lyric = sync "/osc*/lyricbridge/line"
  use_bpm lyric[1]           # lyric is a list: number 1 in it is the tempo
  syllables = lyric[3]       # and number 3 is how many syllables the line has
  syllables.times do         # do this once for every syllable
    play :e4
    sleep 0.5                # wait half a beat
  end
end

# Try this:
#  * Change 0.5 to 0.25. The notes get faster!
#  * Change use_bpm lyric[1] to use_bpm 60. Now YOU pick the speed.
