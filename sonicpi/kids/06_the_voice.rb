# Lesson 6: The voice
#
# The computer can SING the words! Start the bridge with a voice:
#     lyricbridge run --voice --text my_song.txt
# We choose a note for every syllable and send our notes to the bridge.
# The bridge sings the words on OUR notes and sends back a sound file.
# We play that sound file with `sample`, just like a drum sound.
# While we play one line, the next one may come and we miss it. That's OK!

live_loop :singer do
  use_real_time
  lyric = sync "/osc*/lyricbridge/line"
  use_bpm lyric[1]
  if lyric[3] > 0                                   # a line with words in it
    my_notes = scale(:e3, :minor_pentatonic)        # <- the notes the voice sings
    notes = lyric[3].times.map { my_notes.choose }  # one note for every syllable
    osc_send "127.0.0.1", 4580, "/lyricbridge/notes", lyric[0], 0, *notes
    voice = sync "/osc*/lyricbridge/voice"          # wait for the sung words...
    sample voice[2].dup.force_encoding("UTF-8"), amp: 2   # ...and play them!
  end
  sleep lyric[2] * 4                                # the line lasts this many beats
end

# Try this: change :e3 to :e4 (higher!), or amp: 2 to amp: 4 (louder).
