# Lesson 6: The voice
#
# The computer can SING the words! Start the bridge with: lyricbridge run --voice
# We choose a note for every syllable and send our notes to the bridge.
# The bridge sings the words on OUR notes and sends back a sound file.
# We play it with `sample`, like a drum sound. Two loops: one sends the notes,
# one plays each voice the moment it comes.

live_loop :singer do
  use_real_time
  lyric = sync "/osc*/lyricbridge/line"
  if lyric[3] > 0                                   # a line with words in it
    my_notes = scale(:e3, :minor_pentatonic)        # <- the notes the voice sings
    notes = lyric[3].times.map { my_notes.choose }  # one note for every syllable
    osc_send "127.0.0.1", 4580, "/lyricbridge/notes", lyric[0], 0, *notes
  end
end

live_loop :voice do
  use_real_time
  voice = sync "/osc*/lyricbridge/voice"            # the sung words are ready...
  sample voice[2].dup.force_encoding("UTF-8"), amp: 2   # ...so play them!
end

# Try this: change :e3 to :e4 (higher!), or amp: 2 to amp: 4 (louder).
